package wechattest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

func (f *fixture) rule(body string) {
	f.t.Helper()
	if r := f.do(http.MethodPost, "/mock/rules", body); r.status != http.StatusOK {
		f.t.Fatalf("POST /mock/rules %s: %d %s", body, r.status, r.raw)
	}
}

func TestRulesInjectErrcodes(t *testing.T) {
	f := newFixture(t, wechattest.Options{})

	f.rule(`{"api":"jscode2session","errcode":40226}`) // once
	wantError(t, f.login(appA, secretA, f.issue(appA, "pia")), 40226, "code blocked")
	if r := f.login(appA, secretA, f.issue(appA, "pia")); r.errcode() != 0 {
		t.Fatalf("a once rule hit twice: %s", r.raw)
	}

	f.rule(`{"api":"stable_token","errcode":45009,"times":2}`)
	for range 2 {
		wantError(t, f.do(http.MethodPost, "/cgi-bin/stable_token", stableBody(appA, secretA, "client_credential", false)),
			45009, "reach max api daily quota limit")
	}
	f.stable(false)

	f.rule(`{"api":"*","errcode":12345,"fraction":1}`) // every call of every API until removed
	wantError(t, f.login(appA, secretA, f.issue(appA, "pia")), 12345, "simulated error")
	wantError(t, f.do(http.MethodPost, "/cgi-bin/stable_token", stableBody(appA, secretA, "client_credential", false)), 12345, "simulated error")
	if r := f.do(http.MethodGet, "/mock/rules", ""); len(r.body["rules"].([]any)) != 1 {
		t.Errorf("rules = %s", r.raw)
	}
	if r := f.do(http.MethodDelete, "/mock/rules", ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /mock/rules: %d", r.status)
	}
	f.stable(false)

	for _, bad := range []string{`{"errcode":-1}`, `{"api":"token"}`, `{"api":"token","errcode":-1,"fraction":2}`, `{"api":"token","errcode":-1,"tims":1}`} {
		if r := f.do(http.MethodPost, "/mock/rules", bad); r.status != http.StatusBadRequest {
			t.Errorf("rule %s: %d", bad, r.status)
		}
	}
}

// WeChat's web OAuth code exchange: a retry after -1 gives 40163. A -1 may or
// may not have spent the code; the consume flag plays the first case.
func TestSystemErrorMayConsumeTheCode(t *testing.T) {
	for _, tt := range []struct {
		consume bool
		retry   int
	}{{false, 0}, {true, 40163}} {
		f := newFixture(t, wechattest.Options{})
		f.fake.AddRule(wechattest.Rule{API: "jscode2session", Errcode: -1, Consume: tt.consume})
		code := f.issue(appA, "quinn")
		wantError(t, f.login(appA, secretA, code), -1, "system error")
		if r := f.login(appA, secretA, code); r.errcode() != tt.retry {
			t.Errorf("consume=%v: retry answered %s, want errcode %d", tt.consume, r.raw, tt.retry)
		}
	}
}

// code2session answers 40226 "code blocked" for a high-risk user.
func TestBlockedUser(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	if r := f.do(http.MethodPost, "/mock/user-flags", `{"user":"rex","blocked":true}`); r.status != http.StatusNoContent {
		t.Fatalf("user-flags: %d %s", r.status, r.raw)
	}
	wantError(t, f.login(appA, secretA, f.issue(appA, "rex")), 40226, "code blocked")
	if r := f.login(appA, secretA, f.issue(appA, "sue")); r.errcode() != 0 {
		t.Errorf("another user: %s", r.raw)
	}
	f.fake.SetUserFlags("rex", wechattest.UserFlags{})
	if r := f.login(appA, secretA, f.issue(appA, "rex")); r.errcode() != 0 {
		t.Errorf("unblocked: %s", r.raw)
	}
}

// Access tokens: 42001 once a token's two hours are up, without
// waiting for them.
func TestExpireTokens(t *testing.T) {
	for _, how := range []string{"expire-tokens", "clock"} {
		f := newFixture(t, wechattest.Options{Now: time.Now})
		tok := f.token()
		check := "/wxa/checksession?sig_method=hmac_sha256&openid=x&signature=y&access_token=" + url.QueryEscape(tok)
		wantError(t, f.do(http.MethodGet, check, ""), 87009, "invalid signature")
		if how == "clock" {
			f.do(http.MethodPost, "/mock/clock", `{"advance_seconds":7200}`)
		} else if r := f.do(http.MethodPost, "/mock/expire-tokens", `{"appid":"`+appA+`"}`); r.status != http.StatusNoContent {
			t.Fatalf("expire-tokens: %d", r.status)
		}
		wantError(t, f.do(http.MethodGet, check, ""), 42001, "access_token expired")
		if fresh := f.token(); fresh == tok {
			t.Errorf("%s: stable_token still hands out the expired token", how)
		}
	}
}

// stable_token: force_refresh at most 20 a day, 30 s apart; a
// force within 30 s does not refresh.
func TestForceRefreshLimits(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	f.clock.Add(time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC).Sub(f.clock.Now())) // 09:00 in Beijing
	tok := f.stable(true).str("access_token")
	if again := f.stable(true).str("access_token"); again != tok {
		t.Fatal("a force within 30 s refreshed")
	}
	for i := 2; i <= 20; i++ {
		f.clock.Add(30 * time.Second)
		if next := f.stable(true).str("access_token"); next == tok {
			t.Fatalf("force %d did not refresh", i)
		} else {
			tok = next
		}
	}
	f.clock.Add(30 * time.Second)
	wantError(t, f.do(http.MethodPost, "/cgi-bin/stable_token", stableBody(appA, secretA, "client_credential", true)),
		45009, "reach max api daily quota limit")
	if r := f.stable(false); r.str("access_token") != tok {
		t.Error("normal mode changed the token after the refused force")
	}
	f.clock.Add(15 * time.Hour) // past midnight in Beijing
	if f.stable(true).str("access_token") == tok {
		t.Error("no force refresh on the next day")
	}
}

func TestTokenDailyQuota(t *testing.T) {
	f := newFixture(t, wechattest.Options{TokenPerDay: 2})
	q := "/cgi-bin/token?" + url.Values{"grant_type": {"client_credential"}, "appid": {appA}, "secret": {secretA}}.Encode()
	for range 2 {
		if r := f.do(http.MethodGet, q, ""); r.str("access_token") == "" {
			t.Fatalf("token: %s", r.raw)
		}
	}
	wantError(t, f.do(http.MethodGet, q, ""), 45009, "reach max api daily quota limit")
}

// WeChat's authorize page: 10003 when redirect_uri is not on the web-auth
// domain; an account without one accepts loopback hosts only.
func TestOAuthDomains(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	const oa = "wx00000000000000d4"
	f.fake.AddOfficialAccount(oa, "secret-of-oa-d", "", "")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(redirect string) int {
		q := url.Values{"appid": {oa}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"snsapi_base"}, "state": {"s"}}
		resp, err := noRedirect.Get(f.url + "/connect/oauth2/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for redirect, want := range map[string]int{
		"http://127.0.0.1:8080/cb": http.StatusFound, "http://localhost/cb": http.StatusFound,
		"https://h5.example.com/cb": http.StatusOK, // the 10003 page
	} {
		if got := page(redirect); got != want {
			t.Errorf("default domains, %s: %d, want %d", redirect, got, want)
		}
	}
	if r := f.do(http.MethodPut, "/mock/oauth-domains", `{"appid":"`+oa+`","domains":["H5.example.com"]}`); r.status != http.StatusNoContent {
		t.Fatalf("oauth-domains: %d %s", r.status, r.raw)
	}
	if page("https://h5.example.com:8443/any/path") != http.StatusFound || page("https://pay.example.com/cb") != http.StatusOK ||
		page("http://127.0.0.1/cb") != http.StatusOK {
		t.Error("configured domain not applied exactly")
	}
}

// Web OAuth: a snapshot-page user's exchange (docs/wechat.md, snapshot users).
func TestSnapshotUser(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	const oa, secret = "wx00000000000000e5", "secret-of-oa-e"
	f.fake.AddOfficialAccount(oa, secret, openPlatform, "")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	exchange := func(scope, extra string) response {
		q := url.Values{"appid": {oa}, "redirect_uri": {"http://127.0.0.1/cb"}, "scope": {scope}, "state": {"s"}, "mock_user": {"tia"}}
		resp, err := noRedirect.Get(f.url + "/connect/oauth2/authorize?" + q.Encode() + extra)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return f.do(http.MethodGet, "/sns/oauth2/access_token?"+url.Values{"appid": {oa}, "secret": {secret},
			"code": {loc.Query().Get("code")}, "grant_type": {"authorization_code"}}.Encode(), "")
	}
	r := exchange("snsapi_userinfo", "&mock_snapshot=1")
	if r.body["is_snapshotuser"] != 1.0 || r.str("access_token") != "" || r.str("refresh_token") != "" ||
		r.str("openid") == "" || r.str("openid") == f.fake.OpenID(oa, "tia") || r.str("unionid") == f.fake.UnionID(openPlatform, "tia") {
		t.Errorf("snapshot exchange: %s", r.raw)
	}
	f.fake.SetUserFlags("tia", wechattest.UserFlags{Snapshot: true})
	if r := exchange("snsapi_userinfo", ""); r.body["is_snapshotuser"] != 1.0 {
		t.Errorf("flagged user: %s", r.raw)
	}
	if r := exchange("snsapi_base", ""); r.body["is_snapshotuser"] != nil || r.str("openid") != f.fake.OpenID(oa, "tia") {
		t.Errorf("snsapi_base is not affected: %s", r.raw)
	}
}

// wx.login may rotate the session_key (docs/wechat.md, session_key).
func TestSessionKeyRotation(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	key := func(user string) string { return f.login(appA, secretA, f.issue(appA, user)).str("session_key") }
	if a, b := key("uma"), key("uma"); a == b {
		t.Error("default: a new exchange kept the key")
	}
	f.do(http.MethodPut, "/mock/settings", `{"session_key_rotation":"never"}`)
	if a, b := key("uma"), key("uma"); a != b {
		t.Error("never: the key changed")
	}
	f.do(http.MethodPut, "/mock/settings", `{"session_key_rotation":"wx.login"}`)
	held := key("uma")
	f.issue(appA, "uma") // the phone calls wx.login again; the server still holds the old key
	if f.fake.SessionKey(appA, "uma") == held {
		t.Error("wx.login: the key did not change at wx.login")
	}
	if r := f.do(http.MethodPut, "/mock/settings", `{"session_key_rotation":"sometimes"}`); r.status != http.StatusBadRequest {
		t.Errorf("unknown mode: %d", r.status)
	}
}
