package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/cmd/internal/simserve"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/wechat/wechattest"
)

func TestServeUntilCanceled(t *testing.T) {
	fake := wechattest.New(wechattest.Options{})
	fake.AddApp("wxa", "sa", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs tenantstest.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- simserve.Serve(ctx, ln, simserve.LogRequests(logger, fake.Handler()), logger) }()

	resp, err := http.Post("http://"+ln.Addr().String()+"/mock/wx.login", "application/json",
		strings.NewReader(`{"appid":"wxa","user":"u1"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"code"`) {
		t.Fatalf("wx.login: %d %s", resp.StatusCode, body)
	}
	code := strings.Split(string(body), `"`)[3]

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if !strings.Contains(logs.String(), "path=/mock/wx.login status=200") {
		t.Errorf("request not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), code) {
		t.Errorf("the code was logged: %s", logs.String())
	}
}

func TestRunLogsNoSecret(t *testing.T) {
	const secret = "run-secret-must-stay-quiet"
	var logs tenantstest.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := run(ctx, []string{"--addr", "127.0.0.1:0", "--verbose"},
		env(map[string]string{"WXMOCK_APPS": "wxa:" + secret + ":op"}), &logs)
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "appid=wxa") || !strings.Contains(out, "wxmock listening") {
		t.Errorf("startup not logged: %s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the secret was logged: %s", out)
	}
}

// TestRunOpenApps: apps given with --open-app are served as the kinds they
// name (wechat-open-api.md §1, §2): a mobile app gets SendAuth codes, a
// website the qrconnect page on its --oa-domain.
func TestRunOpenApps(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + port
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs tenantstest.SyncBuffer
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--open-app", "wxm1234567:sm-secret-0001:op:mobileapp",
			"--open-app", "wxw1234567:sw-secret-0001:op:website", "--oa-domain", "wxw1234567=www.example.com"}, env(nil), &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + addr
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		resp, err = http.Post(base+"/mock/app.auth", "application/json", strings.NewReader(`{"appid":"wxm1234567","user":"u1"}`))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wxmock did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"code"`) {
		t.Fatalf("app.auth: %d %s", resp.StatusCode, body)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for redirect, want := range map[string]int{"https://www.example.com/cb": http.StatusFound, "http://127.0.0.1/cb": http.StatusOK} {
		res, err := noFollow.Get(base + "/connect/qrconnect?appid=wxw1234567&redirect_uri=" + url.QueryEscape(redirect) +
			"&response_type=code&scope=snsapi_login&state=s")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("qrconnect to %s: %d, want %d", redirect, res.StatusCode, want)
		}
	}
	if !strings.Contains(logs.String(), "kind=website") || strings.Contains(logs.String(), "sw-secret-0001") {
		t.Errorf("startup log: %s", logs.String())
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
