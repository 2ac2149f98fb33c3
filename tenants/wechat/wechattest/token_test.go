package wechattest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

func stableBody(appid, secret, grant string, force bool) string {
	b, _ := json.Marshal(map[string]any{"grant_type": grant, "appid": appid, "secret": secret, "force_refresh": force})
	return string(b)
}

func (f *fixture) stable(force bool) response {
	f.t.Helper()
	r := f.do(http.MethodPost, "/cgi-bin/stable_token", stableBody(appA, secretA, "client_credential", force))
	if r.errcode() != 0 || r.str("access_token") == "" {
		f.t.Fatalf("stable_token: %s", r.raw)
	}
	return r
}

func (r response) expiresIn() int {
	n, _ := r.body["expires_in"].(float64)
	return int(n)
}

func TestStableTokenErrors(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	tests := []struct {
		name   string
		method string
		body   string
		code   int
		msg    string
	}{
		{"GET", http.MethodGet, "", 43002, "require POST method"},
		{"empty body", http.MethodPost, "", 44002, "empty post data"},
		{"not JSON", http.MethodPost, "appid=" + appA, 47001, "data format error"},
		{"appid missing", http.MethodPost, stableBody("", secretA, "client_credential", false), 41002, "appid missing"},
		{"unknown appid", http.MethodPost, stableBody("wxnope", secretA, "client_credential", false), 40013, "invalid appid"},
		{"secret missing", http.MethodPost, stableBody(appA, "", "client_credential", false), 41004, "appsecret missing"},
		{"wrong secret", http.MethodPost, stableBody(appA, secretB, "client_credential", false), 40125, "invalid appsecret"},
		{"wrong grant_type", http.MethodPost, stableBody(appA, secretA, "authorization_code", false), 40002, "invalid grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, "/cgi-bin/stable_token", tt.body)
			wantError(t, r, tt.code, tt.msg)
			if got := r.header.Get("Content-Type"); got != "application/json; encoding=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestStableTokenNormalMode(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	first := f.stable(false)
	if first.expiresIn() != 7200 {
		t.Errorf("expires_in = %d, want 7200", first.expiresIn())
	}
	if _, ok := first.body["errcode"]; ok {
		t.Errorf("success carries errcode: %s", first.raw)
	}
	f.clock.Add(6900 * time.Second)
	later := f.stable(false)
	if later.str("access_token") != first.str("access_token") || later.expiresIn() != 300 {
		t.Errorf("with 300 s left: token changed or expires_in = %d, want the same token and 300", later.expiresIn())
	}
	f.clock.Add(time.Second)
	renewed := f.stable(false)
	if renewed.str("access_token") == first.str("access_token") || renewed.expiresIn() != 7200 {
		t.Errorf("in the last 5 minutes: want a new token for 7200 s, got expires_in %d", renewed.expiresIn())
	}
}

func TestStableTokenForceRefresh(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	normal := f.stable(false)
	forced := f.stable(true)
	if forced.str("access_token") == normal.str("access_token") {
		t.Fatal("force_refresh kept the token")
	}
	f.clock.Add(10 * time.Second)
	if again := f.stable(true); again.str("access_token") != forced.str("access_token") {
		t.Error("a second force_refresh within 30 s refreshed")
	}
	f.clock.Add(20 * time.Second)
	if again := f.stable(true); again.str("access_token") == forced.str("access_token") {
		t.Error("force_refresh 30 s later did not refresh")
	}
}

func TestToken(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	query := func(appid, secret, grant string) string {
		return "/cgi-bin/token?" + url.Values{"grant_type": {grant}, "appid": {appid}, "secret": {secret}}.Encode()
	}
	stable := f.stable(false)
	first := f.do(http.MethodGet, query(appA, secretA, "client_credential"), "")
	second := f.do(http.MethodGet, query(appA, secretA, "client_credential"), "")
	if first.str("access_token") == "" || first.str("access_token") == second.str("access_token") {
		t.Errorf("want a new token each call: %s, %s", first.raw, second.raw)
	}
	if first.expiresIn() != 7200 {
		t.Errorf("expires_in = %d", first.expiresIn())
	}
	if again := f.stable(false); again.str("access_token") != stable.str("access_token") {
		t.Error("cgi-bin/token replaced the stable token")
	}
	wantError(t, f.do(http.MethodGet, query(appA, "wrong", "client_credential"), ""), 40125, "invalid appsecret")
	wantError(t, f.do(http.MethodGet, query("wxnope", secretA, "client_credential"), ""), 40013, "invalid appid")
	wantError(t, f.do(http.MethodGet, query(appA, secretA, "authorization_code"), ""), 40002, "invalid grant_type")
}
