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
	alice, bob, abroad := e.login("alice"), e.login("bob"), e.login("abroad")
	used := e.phoneCode(demoAppID, "alice")

	code := func(user string) func(e *env) string {
		return func(e *env) string { return `{"code":"` + e.phoneCode(demoAppID, user) + `"}` }
	}
	// bound: the number is on one user afterwards, and the answer says so.
	bound := func(phone string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if n := e.count("SELECT COUNT(*) FROM users WHERE phone = ?", phone); n != 1 || r.obj("user")["phone_bound"] != true {
				t.Fatalf("phone %s on %d users: %s", phone, n, r.Raw)
			}
		}
	}
	rows := []scenario{
		{name: "owner binds", header: bearer(owner), bodyFn: code("owner"), status: 200, check: bound("+8613600000001")},
		{name: "alice binds, the code used from then on", body: `{"code":"` + used + `"}`, status: 200, check: bound("+8613600000002")},
		{name: "no session", header: []string{}, body: `{"code":"x"}`, status: 401, code: "invalid_session"},
		{name: "no code", body: `{}`, status: 400, code: "invalid_request"},
		{name: "bound to another user", header: bearer(bob), bodyFn: code("bob"), status: 409, code: "phone_in_use"},
		{name: "used code (40029)", body: `{"code":"` + used + `"}`, status: 400, code: "invalid_phone_code"},
		{name: "unknown code (40029)", body: `{"code":"0123456789abcdef0123456789abcdef"}`, status: 400, code: "invalid_phone_code"},
		{name: "code of another mini-program (40013)", bodyFn: func(e *env) string {
			c, err := e.wx.IssuePhoneCode(otherAppID, "alice")
			if err != nil {
				e.t.Fatal(err)
			}
			return `{"code":"` + c + `"}`
		}, status: 400, code: "invalid_phone_code"},
		{name: "code of another user (openid check)", bodyFn: code("bob"), status: 400, code: "invalid_phone_code"},
		{name: "bound", bodyFn: code("alice"), status: 200, check: bound("+8613600000002")},
		{name: "WeChat busy twice (-1)", bodyFn: code("alice"),
			before: func(e *env) { e.wx.SetFaults(wechattest.Faults{SystemErrors: 1}) }, status: 502, code: "wechat_unavailable"},
		{name: "access token revoked (40001): renewed once and retried", bodyFn: code("alice"),
			before: func(e *env) { e.wx.InvalidateTokens(demoAppID) }, status: 200, check: bound("+8613600000002")},
		// The clock moves before the code is issued (a row's body is built
		// before its before runs): the code is fresh, the token is not.
		{name: "access token expired (42001): renewed once and retried", bodyFn: func(e *env) string {
			e.clock.Add(3 * time.Hour)
			return code("alice")(e)
		}, status: 200, check: bound("+8613600000002")},
		{name: "AppSecret rejected while renewing (40125)", bodyFn: code("alice"),
			before: func(e *env) {
				e.wx.InvalidateTokens(demoAppID)
				e.wx.AddApp(demoAppID, "rotated-on-wechat-side-000", "")
			}, status: 502, code: "tenant_misconfigured"},
		{name: "foreign number", header: bearer(abroad), bodyFn: code("abroad"), status: 200, check: bound("+12025550123")},
	}
	runScenarios(t, e, scenario{path: "/t/acme/me/phone", header: bearer(alice)}, withCleanup(rows, func(e *env) {
		e.wx.SetFaults(wechattest.Faults{})
		e.wx.SetPhonePerMinute(0)
		e.wx.AddApp(demoAppID, demoSecret, "")
	}))
	if n := e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613600000001'"); n != 1 {
		t.Fatalf("the contested number is on %d users", n)
	}
}

func TestPhoneMinuteQuota(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	e.wx.SetPhonePerMinute(1)
	code := func(e *env) string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` }
	runStory(t, e, scenario{path: "/t/acme/me/phone", header: bearer(alice)}, []scenario{
		{name: "the minute's one number", bodyFn: code, status: 200},
		{name: "45011", bodyFn: code, status: 429, code: "rate_limited", check: func(t *testing.T, r response) {
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After: %s", r.Raw)
			}
		}},
	})
}

func TestBackendAccessToken(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	var tok string
	const path = "/t/acme/wechat/access-token"
	runStory(t, e, scenario{method: "GET", path: path, header: bearer(key)}, []scenario{
		{name: "without a key", header: []string{}, status: 401, code: "invalid_api_key"},
		{name: "access token", status: 200, check: func(t *testing.T, r response) {
			if tok = r.str("access_token"); tok == "" || r.num("expires_in") < 7000 {
				t.Fatalf("access token: %s", r.Raw)
			}
		}},
		{name: "the default app's, named", path: path + "?appid=" + demoAppID, status: 200, check: func(t *testing.T, r response) {
			if r.Body["access_token"] != tok {
				t.Fatalf("access token %s, want %s", r.Raw, tok)
			}
		}},
		// The login path (phone numbers) uses the very same token: one fetch.
		{name: "a phone number on the same token", method: "POST", path: "/t/acme/me/phone",
			headerFn: func(e *env) []string { return bearer(e.login("alice")) },
			bodyFn:   func(e *env) string { return `{"code":"` + e.phoneCode(demoAppID, "alice") + `"}` }, status: 200,
			check: func(t *testing.T, r response) {
				if n := e.wx.Calls("stable_token"); n != 1 {
					t.Fatalf("%d stable_token calls, want 1", n)
				}
			}},
		// A backend told 40001 asks for a token other than the stale one.
		{name: "stale token", before: func(e *env) { e.wx.InvalidateTokens(demoAppID) },
			pathFn: func(*env) string { return path + "?stale=" + tok }, status: 200, check: func(t *testing.T, r response) {
				if r.Body["access_token"] == tok {
					t.Fatalf("stale token: %s", r.Raw)
				}
			}},
		{name: "app of no tenant", path: path + "?appid=" + otherAppID, status: 400},
	})
}
