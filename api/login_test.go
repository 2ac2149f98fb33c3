package api_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/wechat/wechattest"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	returning := e.login("returning")

	codeBody := func(user string) func(*env) string {
		return func(e *env) string { return `{"code":"` + e.code(user) + `"}` }
	}
	used := e.code("used")

	scenarios := []scenario{
		{name: "a code's first use", body: `{"code":"` + used + `"}`, status: 200, delta: state{1, 1, 1}},
		{name: "new user", bodyFn: codeBody("alice"), status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				u := r.obj("user")
				if r.num("expires_in") != (7*24*time.Hour).Seconds() || u["is_new"] != true ||
					!strings.HasPrefix(get[string](t, u, "id"), "u_") || u["phone_bound"] != false {
					t.Errorf("login body = %s", r.Raw)
				}
			}},
		{name: "returning user", bodyFn: codeBody("returning"), status: 200, delta: state{0, 0, 1},
			check: func(t *testing.T, r response) {
				if r.obj("user")["is_new"] != false || r.Body["session"] == returning {
					t.Errorf("login body = %s", r.Raw)
				}
			}},
		{name: "explicit default appid", bodyFn: func(e *env) string {
			return `{"code":"` + e.code("bob") + `","appid":"` + demoAppID + `"}`
		}, status: 200, delta: state{1, 1, 1}},
		{name: "broken JSON", body: `{"code":`, status: 400, code: "invalid_request"},
		{name: "not an object", body: `["code"]`, status: 400, code: "invalid_request"},
		{name: "empty body", body: ``, status: 400, code: "invalid_request"},
		{name: "missing code", body: `{"appid":"` + demoAppID + `"}`, status: 400, code: "invalid_request"},
		{name: "code of wrong type", body: `{"code":42}`, status: 400, code: "invalid_request"},
		{name: "oversized code", body: `{"code":"` + strings.Repeat("a", 200) + `"}`, status: 400, code: "invalid_request"},
		{name: "body over 64 KiB", body: `{"code":"x","pad":"` + strings.Repeat("a", 70_000) + `"}`, status: 413, code: "request_too_large"},
		{name: "wrong content type", bodyFn: codeBody("carol"), header: []string{"Content-Type", "text/plain"}, status: 400, code: "invalid_request"},
		{name: "appid of no tenant app", bodyFn: func(e *env) string {
			return `{"code":"` + e.code("dave") + `","appid":"` + otherAppID + `"}`
		}, status: 400, code: "invalid_request"},
		{name: "malformed appid", body: `{"code":"abc","appid":"../x"}`, status: 400, code: "invalid_request"},
		{name: "unknown tenant", path: "/t/nobody/login", bodyFn: codeBody("erin"), status: 404, code: "tenant_not_found"},
		{name: "malformed tenant", path: "/t/NO%20PE/login", bodyFn: codeBody("erin"), status: 404, code: "tenant_not_found"},
		{name: "reused code", body: `{"code":"` + used + `"}`, status: 401, code: "invalid_code"},
		{name: "unknown code", body: `{"code":"0123456789abcdefABCDEF0123456789"}`, status: 401, code: "invalid_code"},
		{name: "code of another mini-program", bodyFn: func(e *env) string {
			c, _ := e.wx.IssueCode(otherAppID, "frank")
			return `{"code":"` + c + `"}`
		}, status: 401, code: "invalid_code"},
		{name: "expired code", bodyFn: func(e *env) string {
			c := e.code("gina")
			e.clock.Add(6 * time.Minute)
			return `{"code":"` + c + `"}`
		}, status: 401, code: "invalid_code"},
		{name: "WeChat busy once is retried", bodyFn: codeBody("hank"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{SystemErrors: 1})
		}, status: 200, delta: state{1, 1, 1}},
		{name: "WeChat busy", bodyFn: codeBody("ivy"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{SystemErrors: 2})
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat answers garbage", bodyFn: codeBody("jack"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{Garbage: true})
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat stalls", bodyFn: codeBody("kate"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{Latency: 30 * time.Second}) // beyond the client's 4 s
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat success with errcode 0", bodyFn: codeBody("liam"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{ErrcodeZero: true})
		}, status: 200, delta: state{1, 1, 1}},
		{name: "WeChat rejects the AppSecret", bodyFn: codeBody("mia"), before: func(e *env) {
			e.wx.AddApp(demoAppID, "rotated-on-wechat-side-000", "")
		}, status: 502, code: "tenant_misconfigured"},
		{name: "WeChat limits the user", bodyFn: codeBody("noah"), before: func(e *env) {
			for i := 0; i < 100; i++ {
				redeemAtWeChat(e, "noah")
			}
		}, status: 429, code: "rate_limited", check: func(t *testing.T, r response) {
			if r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}},
	}
	runScenarios(t, e, scenario{path: "/t/acme/login"}, withCleanup(scenarios, func(e *env) {
		e.wx.SetFaults(wechattest.Faults{})
		e.wx.AddApp(demoAppID, demoSecret, "")
	}))
}

// redeemAtWeChat spends a code of user's at the simulator itself, as
// another backend of the same person's would: a call that counts towards
// WeChat's per-user minute limit (45011) without a login here.
func redeemAtWeChat(e *env, user string) {
	e.t.Helper()
	q := url.Values{"appid": {demoAppID}, "secret": {demoSecret}, "js_code": {e.code(user)}, "grant_type": {"authorization_code"}}
	rec := httptest.NewRecorder()
	e.wx.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/sns/jscode2session?"+q.Encode(), nil))
	if rec.Code != 200 {
		e.t.Fatalf("jscode2session: %d %s", rec.Code, rec.Body)
	}
}

func TestLoginDisabledTenant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	token := e.login("alice")
	if err := e.reg.SetStatus(ctx, e.tenant.ID, tenants.StatusDisabled, audit.CLI); err != nil {
		t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
	codeBody := func(user string) func(*env) string {
		return func(e *env) string { return `{"code":"` + e.code(user) + `"}` }
	}
	// The refusals change nothing (the runner's delta and fingerprint).
	runStory(t, e, scenario{method: "GET", path: "/t/acme/me", header: bearer(token)}, []scenario{
		{name: "login to disabled tenant", method: "POST", path: "/t/acme/login", bodyFn: codeBody("bob"), status: 403, code: "tenant_disabled"},
		{name: "/me of disabled tenant", status: 403, code: "tenant_disabled"},
		{name: "session from before the disable, enabled again", before: func(e *env) {
			if err := e.reg.SetStatus(ctx, e.tenant.ID, tenants.StatusActive, audit.CLI); err != nil {
				e.t.Fatal(err)
			}
			e.reg.Invalidate(ctx, "acme")
		}, status: 401},
		{name: "a login after", method: "POST", path: "/t/acme/login", bodyFn: codeBody("carol"), status: 200, delta: state{1, 1, 1}},
	})
}
