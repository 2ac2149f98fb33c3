package api_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

func TestBindPhone(t *testing.T) {
	e := newEnv(t)
	e.wx.SetPerson("owner", "86", "13600000001", "", "")
	e.wx.SetPerson("alice", "86", "13600000002", "", "")
	e.wx.SetPerson("bob", "86", "13600000001", "", "")
	e.wx.SetPerson("abroad", "1", "2025550123", "", "")
	owner := e.login("owner")
	if r := e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "owner")+`"}`, bearer(owner)...); r.Status != 200 {
		t.Fatalf("owner binds: %d %s", r.Status, r.Raw)
	}
	alice, bob, abroad := e.login("alice"), e.login("bob"), e.login("abroad")
	used := e.phoneCode(demoAppID, "alice")
	e.do("POST", "/t/acme/me/phone", `{"code":"`+used+`"}`, bearer(alice)...)

	scenarios := []struct {
		name   string
		token  string
		body   func() string
		before func()
		status int
		code   string
		phone  string // what alice's (or abroad's) row must then hold
	}{
		{name: "no session", token: "", body: func() string { return `{"code":"x"}` }, status: 401, code: "invalid_session"},
		{name: "no code", token: alice, body: func() string { return `{}` }, status: 400, code: "invalid_request"},
		{name: "bound to another user", token: bob, body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "bob") + `"}` },
			status: 409, code: "phone_in_use"},
		{name: "used code (40029)", token: alice, body: func() string { return `{"code":"` + used + `"}` }, status: 400, code: "invalid_phone_code"},
		{name: "unknown code (40029)", token: alice, body: func() string { return `{"code":"0123456789abcdef0123456789abcdef"}` }, status: 400, code: "invalid_phone_code"},
		{name: "code of another mini-program (40013)", token: alice, body: func() string {
			c, _ := e.wx.IssuePhoneCode(otherAppID, "alice")
			return `{"code":"` + c + `"}`
		}, status: 400, code: "invalid_phone_code"},
		{name: "code of another user (openid check)", token: alice, body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "bob") + `"}` },
			status: 400, code: "invalid_phone_code"},
		{name: "bound", token: alice, body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` },
			status: 200, phone: "+8613600000002"},
		{name: "WeChat busy twice (-1)", token: alice, body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` },
			before: func() { e.wx.SetFaults(wechattest.Faults{SystemErrors: 1}) }, status: 502, code: "wechat_unavailable"},
		{name: "access token revoked (40001): renewed once and retried", token: alice,
			body:   func() string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` },
			before: func() { e.wx.InvalidateTokens(demoAppID) }, status: 200, phone: "+8613600000002"},
		{name: "access token expired (42001): renewed once and retried", token: alice,
			body:   func() string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` },
			before: func() { e.clock.Add(3 * time.Hour) }, status: 200, phone: "+8613600000002"},
		{name: "AppSecret rejected while renewing (40125)", token: alice,
			body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` },
			before: func() {
				e.wx.InvalidateTokens(demoAppID)
				e.wx.AddApp(demoAppID, "rotated-on-wechat-side-000", "")
			}, status: 502, code: "tenant_misconfigured"},
		{name: "foreign number", token: abroad, body: func() string { return `{"code":"` + e.phoneCode(demoAppID, "abroad") + `"}` },
			status: 200, phone: "+12025550123"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			defer func() {
				e.wx.SetFaults(wechattest.Faults{})
				e.wx.SetPhonePerMinute(0)
				e.wx.AddApp(demoAppID, demoSecret, "")
			}()
			if sc.before != nil {
				sc.before()
			}
			body := sc.body()
			var h []string
			if sc.token != "" {
				h = bearer(sc.token)
			}
			r := e.do("POST", "/t/acme/me/phone", body, h...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if sc.phone != "" {
				if n := e.count("SELECT COUNT(*) FROM users WHERE phone = ?", sc.phone); n != 1 || r.obj("user")["phone_bound"] != true {
					t.Fatalf("phone %s on %d users: %s", sc.phone, n, r.Raw)
				}
			}
		})
	}
	e.t = t
	if n := e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613600000001'"); n != 1 {
		t.Fatalf("the contested number is on %d users", n)
	}
}

func TestPhoneMinuteQuota(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	e.wx.SetPhonePerMinute(1)
	e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "alice")+`"}`, bearer(alice)...)
	r := e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "alice")+`"}`, bearer(alice)...)
	if r.Status != 429 || r.errCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("45011: %d %s", r.Status, r.Raw)
	}
}

func TestBackendAccessToken(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	if r := e.do("GET", "/t/acme/wechat/access-token", ""); r.Status != 401 || r.errCode() != "invalid_api_key" {
		t.Fatalf("without a key: %d %s", r.Status, r.Raw)
	}
	a := e.do("GET", "/t/acme/wechat/access-token", "", bearer(key)...)
	b := e.do("GET", "/t/acme/wechat/access-token?appid="+demoAppID, "", bearer(key)...)
	tok, _ := a.Body["access_token"].(string)
	if a.Status != 200 || tok == "" || b.Body["access_token"] != tok || a.num("expires_in") < 7000 {
		t.Fatalf("access token: %s / %s", a.Raw, b.Raw)
	}
	// The login path (phone numbers) uses the very same token: one fetch.
	alice := e.login("alice")
	e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "alice")+`"}`, bearer(alice)...)
	if n := e.wx.Calls("stable_token"); n != 1 {
		t.Fatalf("%d stable_token calls, want 1", n)
	}
	// A backend told 40001 asks for a token other than the stale one.
	e.wx.InvalidateTokens(demoAppID)
	c := e.do("GET", "/t/acme/wechat/access-token?stale="+tok, "", bearer(key)...)
	if c.Status != 200 || c.Body["access_token"] == tok {
		t.Fatalf("stale token: %s", c.Raw)
	}
	if r := e.do("GET", "/t/acme/wechat/access-token?appid="+otherAppID, "", bearer(key)...); r.Status != 400 {
		t.Fatalf("app of no tenant: %d %s", r.Status, r.Raw)
	}
}
