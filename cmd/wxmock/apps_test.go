package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

// TestLearnAppsAtRunTime: a running wxmock learns an app over POST
// /mock/apps, so that a tenant created after it started can log in.
func TestLearnAppsAtRunTime(t *testing.T) {
	const appid, secret = "wx0123456789abcd01", "learned-secret-must-stay-quiet"
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	var logs tenantstest.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--verbose"},
			env(map[string]string{"WXMOCK_APPS": "wx0123456789abcdef:demo-secret"}), &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for deadline := time.Now().Add(time.Minute); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wxmock does not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	if status, m := post("/mock/apps", `{"appid":"`+appid+`","secret":"`+secret+`"}`); status != http.StatusCreated || m["created"] != true {
		t.Fatalf("POST /mock/apps: %d %v", status, m)
	}
	if status, m := post("/mock/apps", `{"appid":"`+appid+`","secret":"other"}`); status != http.StatusConflict {
		t.Fatalf("POST /mock/apps with another secret: %d %v", status, m)
	}
	_, m := post("/mock/wx.login", `{"appid":"`+appid+`","user":"u1"}`)
	code, _ := m["code"].(string)
	q := url.Values{"appid": {appid}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	resp, err := http.Get("http://" + addr + "/sns/jscode2session?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var session map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&session); err != nil || session["openid"] == nil {
		t.Fatalf("jscode2session of the learned app: %v %v", session, err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the learned secret was logged: %s", logs.String())
	}
}
