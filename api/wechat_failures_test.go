package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants/tokens"
	"miniauth/tenants/wechat/wechattest"
)

// WeChat's failures played by the simulator, and what the API answers.

// wechat-api.md §1: 40226 "code blocked" is a high-risk user WeChat
// blocks, not a bad code: 403 wechat_user_blocked, counted in the login
// metrics and listed in the console.
func TestBlockedUser(t *testing.T) {
	e := newAdminEnv(t)
	e.wx.SetUserFlags("risky", wechattest.UserFlags{Blocked: true})
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("risky")+`"}`)
	if r.Status != 403 || r.errCode() != "wechat_user_blocked" || !strings.Contains(r.str("error", "message"), "微信") {
		t.Fatalf("blocked user: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("fine")+`"}`); r.Status != 200 {
		t.Fatalf("another user: %d %s", r.Status, r.Raw)
	}
	if body := metrics(t, e.env); !strings.Contains(body, `miniauth_logins_total{outcome="wechat_user_blocked",tenant="acme"} 1`) {
		t.Error("/metrics does not count the blocked login")
	}
	ov := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/overview", "")
	if errs := ov.list("wechat_errors"); len(errs) != 1 || get[float64](t, errs[0], "errcode") != 40226 {
		t.Fatalf("overview errors: %s", ov.Raw)
	}
}

// metrics reads the Prometheus text of e's node, which serve puts on its
// own address (MINIAUTH_METRICS_ADDR), never on the public one.
func metrics(t *testing.T, e *env) string {
	t.Helper()
	srv := httptest.NewServer(e.metrics.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

// wechat-api.md §6.2: after -1, WeChat may have spent the code (a retry
// gets 40163) or not. The client retries once; either way the answer is
// right: a session, or invalid_code (call wx.login again), never a
// session made twice.
func TestSystemErrorMaySpendTheCode(t *testing.T) {
	for _, tt := range []struct {
		consume bool
		status  int
		code    string
	}{{false, 200, ""}, {true, 401, "invalid_code"}} {
		e := newEnv(t)
		e.wx.AddRule(wechattest.Rule{API: "jscode2session", Errcode: -1, Consume: tt.consume})
		r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("vic")+`"}`)
		if r.Status != tt.status || r.errCode() != tt.code {
			t.Errorf("consume=%v: %d %s", tt.consume, r.Status, r.Raw)
		}
		if n := e.wx.Calls("jscode2session"); n != 2 {
			t.Errorf("consume=%v: %d calls, want the call and one retry", tt.consume, n)
		}
		if tt.consume { // the mini-program calls wx.login again
			if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("vic")+`"}`); r.Status != 200 {
				t.Errorf("fresh code after a spent one: %d %s", r.Status, r.Raw)
			}
		}
	}
}

// wechat-open-api.md §3: a snapshot-page user's openid and unionid are
// virtual: nothing is registered or merged, the page gets
// #error=snapshot_user. 48001 from sns/userinfo is taken the same way.
func TestSnapshotUserIsRefused(t *testing.T) {
	e := withOfficialAccount(t)
	e.loginBody(`{"code":"` + e.code("wen") + `"}`) // wen is known from the mini-program
	before := e.state()
	for _, play := range []func(){
		func() { e.wx.SetUserFlags("wen", wechattest.UserFlags{Snapshot: true}) },
		func() {
			e.wx.SetUserFlags("wen", wechattest.UserFlags{})
			e.wx.AddRule(wechattest.Rule{API: "userinfo", Errcode: 48001})
		},
	} {
		play()
		back := e.finish(e.authorize("snsapi_userinfo", "wen"))
		if back.RawQuery != "" || back.Fragment != "error=snapshot_user" {
			t.Fatalf("back at %s, want the page with #error=snapshot_user", back)
		}
	}
	if after := e.state(); after != before {
		t.Fatalf("a snapshot user changed %+v → %+v", before, after)
	}
	back := e.finish(e.authorize("snsapi_userinfo", "wen")) // the real consent
	if frag, _ := url.ParseQuery(back.Fragment); frag.Get("session") == "" || frag.Get("is_new") != "false" {
		t.Fatalf("after using the full service: %s", back)
	} else {
		remember(frag.Get("session"), "session token")
	}
}

// wechat-api.md §2.2: a forced refresh kills the token for everyone and
// is allowed 20 a day, 30 s apart. A backend may force one only by
// presenting the current token; miniauth then keeps to WeChat's limits for
// all nodes, audits each, and never loops.
func TestBackendForcedRefreshIsLimited(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	get := func(stale string) response {
		return e.do("GET", "/t/acme/wechat/access-token?stale="+url.QueryEscape(stale), "", bearer(key)...)
	}
	cur := get("").str("access_token")
	remember(cur, "access token")
	if r := get("96_not-the-current-token"); r.Status != 200 || r.Body["access_token"] != cur {
		t.Fatalf("an old stale token: %d %s", r.Status, r.Raw)
	}
	if n := e.wx.Calls("stable_token"); n != 1 {
		t.Fatalf("%d stable_token calls; an old stale token must not reach WeChat", n)
	}
	forced := 0
	for i := range 21 {
		r := get(cur)
		if i < 20 {
			if r.Status != 200 || r.Body["access_token"] == cur {
				t.Fatalf("force %d: %d %s", i+1, r.Status, r.Raw)
			}
			forced++
			cur = r.str("access_token")
			remember(cur, "access token")
			// At once again: under 30 s.
			if r := get(cur); r.Status != 429 || r.errCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
				t.Fatalf("a second force at once: %d %s", r.Status, r.Raw)
			}
			e.clock.Add(tokens.ForceSpacing)
			continue
		}
		if r.Status != 429 || r.errCode() != "rate_limited" || !strings.Contains(r.Raw, "20 times today") {
			t.Fatalf("force 21: %d %s", r.Status, r.Raw)
		}
	}
	if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'wechat.access_token.force_refreshed' AND tenant_id = ? AND actor_type = 'api_key'", e.tenant.ID); n != forced {
		t.Fatalf("%d audit entries for %d forced refreshes", n, forced)
	}
}

// wechat-api.md §2.1/§2.2: 45009 is a spent daily quota: its own answer,
// not "WeChat did not answer", and a warning in the console.
func TestDailyQuotaExhausted(t *testing.T) {
	e := newAdminEnv(t)
	e.wx.AddRule(wechattest.Rule{API: "stable_token", Errcode: 45009, Fraction: 1})
	alice := e.login("alice")
	r := e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "alice")+`"}`, bearer(alice)...)
	if r.Status != 429 || r.errCode() != "wechat_quota_exhausted" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("quota spent: %d %s", r.Status, r.Raw)
	}
	ov := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/overview", "")
	if errs := ov.list("wechat_errors"); len(errs) == 0 || get[float64](t, errs[0], "errcode") != 45009 {
		t.Fatalf("overview errors: %s", ov.Raw)
	}
}

// wechat-open-api.md §7 rule 1: 40001, 40014 and 42001 mean the token is
// bad; it is renewed and the call made once more. WeChat still handing
// out the refused token in normal mode takes a forced refresh, so the
// clock moves 30 s between them. 42001 is played both by a rule and by
// letting the token expire.
func TestTokenRenewalCodes(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	bind := func() response {
		return e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "alice")+`"}`, bearer(alice)...)
	}
	if r := bind(); r.Status != 200 {
		t.Fatalf("first bind: %d %s", r.Status, r.Raw)
	}
	for _, code := range []int{40001, 40014, 42001} {
		e.clock.Add(tokens.ForceSpacing)
		e.wx.AddRule(wechattest.Rule{API: "getuserphonenumber", Errcode: code})
		if r := bind(); r.Status != 200 {
			t.Fatalf("after %d: %d %s", code, r.Status, r.Raw)
		}
	}
	e.wx.ExpireTokens(demoAppID)
	before := e.wx.Calls("stable_token")
	if r := bind(); r.Status != 200 || e.wx.Calls("stable_token") != before+1 {
		t.Fatalf("after the token expired: %d %s", r.Status, r.Raw)
	}
}

// A phone_code is paid for and single use: it is exchanged only once the
// login stands, and not at all when too little of the request is left.
func TestLoginPhoneCodeWaitsForTheLogin(t *testing.T) {
	e := newAdminEnv(t)
	e.login("banned")
	ban := "/admin/api/tenants/acme/users/" + e.userID("banned") + "/ban"
	if r := e.as(e.callers[own], "POST", ban, ""); r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("banned")+`","phone_code":"`+e.phoneCode(demoAppID, "banned")+`"}`)
	if r.Status != 403 || r.errCode() != "user_banned" || e.wx.Calls("getuserphonenumber") != 0 {
		t.Fatalf("banned user with a phone_code: %d %s, %d phone calls", r.Status, r.Raw, e.wx.Calls("getuserphonenumber"))
	}

	// A request deadline that leaves under 2 s for WeChat after the
	// margin: the login stands, the phone code is kept for /me/phone.
	short := newEnv(t, func(d *api.Deps) { d.RequestTimeout = 3 * time.Second })
	phone := short.phoneCode(demoAppID, "hasty")
	r = short.loginBody(`{"code":"` + short.code("hasty") + `","phone_code":"` + phone + `"}`)
	pe, _ := r.Body["phone_error"].(map[string]any)
	if pe["code"] != "wechat_unavailable" || short.wx.Calls("getuserphonenumber") != 0 {
		t.Fatalf("short deadline: %s", r.Raw)
	}
	session := r.str("session")
	if r := short.do("POST", "/t/acme/me/phone", `{"code":"`+phone+`"}`, bearer(session)...); r.Status != 200 {
		t.Fatalf("the kept phone code: %d %s", r.Status, r.Raw)
	}
}

// wechat-api.md §5.2, §8: calling wx.login may rotate the session_key, so
// data the phone encrypts afterwards does not open with the key the
// session holds: 409 session_key_stale (log in again), and the new login's
// key opens it.
func TestSessionKeyRotatedByWxLogin(t *testing.T) {
	e := newEnv(t)
	e.wx.SetSessionKeyRotation(wechattest.RotateOnLogin)
	session := e.login("rita")
	e.code("rita") // the phone calls wx.login again and does not post the code
	r := e.do("POST", "/t/acme/me/decrypt", e.openData("rita", false), bearer(session)...)
	if r.Status != 409 || r.errCode() != "session_key_stale" {
		t.Fatalf("data under the rotated key: %d %s", r.Status, r.Raw)
	}
	fresh := e.login("rita")
	if r := e.do("POST", "/t/acme/me/decrypt", e.openData("rita", false), bearer(fresh)...); r.Status != 200 {
		t.Fatalf("after logging in again: %d %s", r.Status, r.Raw)
	}
}

// wechat-api.md §3: the phone code is single use, so a -1 is not retried;
// whether WeChat spent the code or not, trying the same code again gets a
// right answer: bound, or invalid_phone_code (tap the button again).
func TestPhoneSystemErrorEitherWay(t *testing.T) {
	for _, tt := range []struct {
		consume bool
		status  int
	}{{false, 200}, {true, 400}} {
		e := newEnv(t)
		alice := e.login("alice")
		code := e.phoneCode(demoAppID, "alice")
		e.wx.AddRule(wechattest.Rule{API: "getuserphonenumber", Errcode: -1, Consume: tt.consume})
		if r := e.do("POST", "/t/acme/me/phone", `{"code":"`+code+`"}`, bearer(alice)...); r.Status != 502 || r.errCode() != "wechat_unavailable" {
			t.Fatalf("consume=%v: %d %s", tt.consume, r.Status, r.Raw)
		}
		if r := e.do("POST", "/t/acme/me/phone", `{"code":"`+code+`"}`, bearer(alice)...); r.Status != tt.status {
			t.Fatalf("consume=%v, the same code again: %d %s", tt.consume, r.Status, r.Raw)
		}
	}
}
