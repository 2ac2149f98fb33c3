package wechattest_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

func TestMockLogin(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	tests := []struct {
		name    string
		body    string
		status  int
		errcode int
	}{
		{"ok", `{"appid":"` + appA + `","user":"mia"}`, 200, 0},
		{"unknown appid", `{"appid":"wxnope","user":"mia"}`, 400, 40013},
		{"appid missing", `{"user":"mia"}`, 400, 41002},
		{"user missing", `{"appid":"` + appA + `"}`, 400, 47001},
		{"not JSON", `appid=x`, 400, 47001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(http.MethodPost, "/mock/wx.login", tt.body)
			if r.status != tt.status || r.errcode() != tt.errcode {
				t.Fatalf("got %d %s, want %d errcode %d", r.status, r.raw, tt.status, tt.errcode)
			}
			if tt.status == 200 && !regexp.MustCompile(`^[0-9A-Za-z]{32}$`).MatchString(r.str("code")) {
				t.Errorf("code %q", r.str("code"))
			}
		})
	}
	code := f.do(http.MethodPost, "/mock/wx.login", `{"appid":"`+appA+`","user":"mia"}`).str("code")
	if r := f.login(appA, secretA, code); r.str("openid") != f.fake.OpenID(appA, "mia") {
		t.Errorf("code from /mock/wx.login: %s", r.raw)
	}
}

func TestFaultsOverHTTP(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	put := func(body string) response {
		t.Helper()
		r := f.do(http.MethodPut, "/mock/faults", body)
		if r.status != http.StatusOK {
			t.Fatalf("PUT /mock/faults %s: %d %s", body, r.status, r.raw)
		}
		return r
	}

	put(`{"system_errors":1}`)
	wantError(t, f.login(appA, secretA, f.issue(appA, "nina")), -1, "system error")
	if r := f.do(http.MethodGet, "/mock/faults", ""); r.body["system_errors"] != 0.0 {
		t.Errorf("after one call, faults = %s", r.raw)
	}
	if r := f.login(appA, secretA, f.issue(appA, "nina")); r.errcode() != 0 {
		t.Errorf("after the system error: %s", r.raw)
	}

	put(`{"garbage":true}`)
	if r := f.login(appA, secretA, f.issue(appA, "nina")); r.body != nil || !strings.Contains(r.raw, "<html>") {
		t.Errorf("garbage fault answered JSON: %s", r.raw)
	}

	put(`{"errcode_zero":true}`)
	if r := f.login(appA, secretA, f.issue(appA, "nina")); r.str("errmsg") != "ok" || r.body["errcode"] != 0.0 || r.str("openid") == "" {
		t.Errorf("errcode_zero fault: %s", r.raw)
	}

	if got := put(`{"latency_ms":40}`); got.body["latency_ms"] != 40.0 || f.fake.Faults().Latency != 40*time.Millisecond {
		t.Errorf("latency fault not set: %s", got.raw)
	}
	start := time.Now()
	f.stable(false)
	if elapsed := time.Since(start); elapsed < 40*time.Millisecond {
		t.Errorf("answered after %v despite 40 ms latency", elapsed)
	}

	if r := f.do(http.MethodPut, "/mock/faults", `{"latncy_ms":40}`); r.status != http.StatusBadRequest {
		t.Errorf("misspelt field: %d", r.status)
	}
}

func TestLatencyHonoursClientGoingAway(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	f.fake.SetFaults(wechattest.Faults{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/sns/jscode2session", nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	// Close waits for running handlers: it returns long before the minute
	// is up only if the handler stopped when the client went away.
	start := time.Now()
	f.srv.Close()
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("handler kept sleeping for %v after the client left", elapsed)
	}
}

func TestResetAndStats(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	code := f.issue(appA, "olga")
	f.login(appA, secretA, f.issue(appA, "olga"))
	f.stable(false)
	f.fake.SetFaults(wechattest.Faults{ErrcodeZero: true})

	stats := f.do(http.MethodGet, "/mock/stats", "")
	calls, _ := stats.body["calls"].(map[string]any)
	if calls["jscode2session"] != 1.0 || calls["stable_token"] != 1.0 || calls["token"] != 0.0 {
		t.Errorf("stats = %s", stats.raw)
	}
	if r := f.do(http.MethodPost, "/mock/reset", ""); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d", r.status)
	}
	if f.fake.Calls("jscode2session") != 0 || f.fake.Faults() != (wechattest.Faults{}) {
		t.Error("reset kept counters or faults")
	}
	wantError(t, f.login(appA, secretA, code), 40029, "invalid code")
}
