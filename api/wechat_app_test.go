package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/wechat/wechattest"
	"miniauth/tenants/wxerrors"
)

// The WeChat app's way in (issue 15 part 2): POST /login/wechat-app.

const (
	mobileAppID     = "wxacmeapp00001"
	mobileAppSecret = "acme-mobile-app-secret-0123"
	websiteAppID    = "wxacmeweb00001"
	websiteSecret   = "acme-website-secret-0123456"
	acmeOpen        = "acme-open" // the open platform of acme's apps in the simulator
)

// withOpenApps gives acme a mobile application and a website application
// on one open platform with its mini-program, so that unionid links the
// three, and allow-lists its web page.
func withOpenApps(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	addOpenApps(t, e)
	return e
}

// addOpenApps is withOpenApps on an env made otherwise (an adminEnv's).
func addOpenApps(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	e.wx.AddApp(demoAppID, demoSecret, acmeOpen)
	e.wx.AddMobileApp(mobileAppID, mobileAppSecret, acmeOpen)
	e.wx.AddWebsite(websiteAppID, websiteSecret, acmeOpen, "") // the callback is on loopback
	if err := e.reg.AddMobileApp(ctx, e.tenant.ID, tenants.NewApp{AppID: mobileAppID, Secret: mobileAppSecret, Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	if err := e.reg.AddWebsite(ctx, e.tenant.ID, tenants.NewApp{AppID: websiteAppID, Secret: websiteSecret, Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	e.settings(func(s *tenants.Settings) { s.RedirectURIs = []string{h5Page} })
	remember(mobileAppSecret, "AppSecret")
	remember(websiteSecret, "AppSecret")
}

// appCode is what SendAuth hands the tenant's app on user's phone.
func (e *env) appCode(user string) string {
	e.t.Helper()
	c, err := e.wx.IssueAppCode(mobileAppID, user)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(c, "code")
	return c
}

// appLogin signs user in with the WeChat app and fails unless it worked.
func (e *env) appLogin(user string) response {
	e.t.Helper()
	r := e.do("POST", "/t/acme/login/wechat-app", `{"code":"`+e.appCode(user)+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("app login %s: %d %s", user, r.Status, r.Raw)
	}
	if s, ok := r.Body["session"].(string); ok {
		remember(s, "session token")
	}
	return r
}

func appBody(user string) func(*env) string {
	return func(e *env) string { return `{"code":"` + e.appCode(user) + `"}` }
}

func TestWeChatAppLogin(t *testing.T) {
	e := withOpenApps(t)
	returning := e.appLogin("returning").str("user", "id")
	mp := e.loginBody(`{"code":"`+e.code("hong")+`"}`).str("user", "id") // known from the mini-program
	used := e.appCode("used")
	sameUser := func(want *string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if r.str("user", "id") != *want || r.obj("user")["is_new"] != false {
				t.Errorf("signed in as %s, want %s: %s", r.Raw, *want, r.Raw)
			}
		}
	}

	scenarios := []scenario{
		{name: "a code's first use", body: `{"code":"` + used + `"}`, status: 200, delta: state{1, 1, 1}},
		{name: "new user", bodyFn: appBody("alice"), status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				if r.obj("user")["is_new"] != true || r.str("token_type") != "Bearer" || r.str("access_token") == "" ||
					!strings.HasPrefix(r.str("user", "id"), "u_") {
					t.Errorf("login body = %s", r.Raw)
				}
				if n := e.count(`SELECT COUNT(*) FROM identities i JOIN apps a ON a.id = i.app_id
					WHERE a.kind = 'mobileapp' AND i.unionid IS NOT NULL`); n != 3 { // returning's, used's and alice's
					t.Errorf("%d app identities with a unionid, want 3", n)
				}
			}},
		{name: "returning user", bodyFn: appBody("returning"), status: 200, delta: state{0, 0, 1}, check: sameUser(&returning)},
		{name: "mini-program user, by unionid", bodyFn: appBody("hong"), status: 200, delta: state{0, 1, 1}, check: sameUser(&mp)},
		{name: "the app user on the mini-program, by unionid", bodyFn: func(e *env) string {
			return `{"code":"` + e.code("returning") + `"}`
		}, path: "/t/acme/login", status: 200, delta: state{0, 1, 1}, check: sameUser(&returning)},
		{name: "explicit appid", bodyFn: func(e *env) string {
			return `{"code":"` + e.appCode("bob") + `","appid":"` + mobileAppID + `"}`
		}, status: 200, delta: state{1, 1, 1}},
		{name: "appid of the mini-program", bodyFn: func(e *env) string {
			return `{"code":"` + e.appCode("carol") + `","appid":"` + demoAppID + `"}`
		}, status: 400, code: "invalid_request"},
		{name: "malformed appid", body: `{"code":"abc","appid":"../x"}`, status: 400, code: "invalid_request"},
		{name: "missing code", body: `{"appid":"` + mobileAppID + `"}`, status: 400, code: "invalid_request"},
		{name: "malformed code", body: `{"code":"a b"}`, status: 400, code: "invalid_request"},
		{name: "unknown field", bodyFn: func(e *env) string {
			return `{"code":"` + e.appCode("carol") + `","phone_code":"x"}`
		}, status: 400, code: "invalid_request"},
		{name: "broken JSON", body: `{"code":`, status: 400, code: "invalid_request"},
		{name: "unknown tenant", path: "/t/nobody/login/wechat-app", bodyFn: appBody("dave"), status: 404, code: "tenant_not_found"},
		{name: "used code", body: `{"code":"` + used + `"}`, status: 401, code: "invalid_code"},
		{name: "unknown code", body: `{"code":"0123456789abcdefABCDEF0123456789"}`, status: 401, code: "invalid_code"},
		{name: "a wx.login code", bodyFn: func(e *env) string { return `{"code":"` + e.code("erin") + `"}` }, status: 401, code: "invalid_code"},
		{name: "expired code", bodyFn: func(e *env) string {
			c := e.appCode("gina")
			e.clock.Add(11 * time.Minute)
			return `{"code":"` + c + `"}`
		}, status: 401, code: "invalid_code"},
		{name: "WeChat busy (the code is single use: no retry)", bodyFn: appBody("hank"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{SystemErrors: 1})
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat answers garbage", bodyFn: appBody("jack"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{Garbage: true})
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat stalls", bodyFn: appBody("kate"), before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{Latency: 30 * time.Second})
		}, status: 502, code: "wechat_unavailable"},
		{name: "WeChat rejects the AppSecret", bodyFn: appBody("mia"), before: func(e *env) {
			e.wx.AddMobileApp(mobileAppID, "rotated-on-wechat-side-000", acmeOpen)
		}, status: 502, code: "tenant_misconfigured"},
	}
	runScenarios(t, e, scenario{path: "/t/acme/login/wechat-app"}, withCleanup(scenarios, func(e *env) {
		e.wx.SetFaults(wechattest.Faults{})
		e.wx.AddMobileApp(mobileAppID, mobileAppSecret, acmeOpen)
	}))
	if body := metrics(t, e); !strings.Contains(body, `miniauth_logins_total{outcome="tenant_misconfigured",tenant="acme"} 1`) {
		t.Error("/metrics does not count the app login WeChat refused")
	}
	// The console's overview hears of the rejected AppSecret, not of the
	// users' bad codes (wechat.IsUserFault).
	recent, err := wxerrors.New(e.rdb, e.prefix).Recent(context.Background(), e.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rejected int
	for _, w := range recent {
		switch {
		case w.Code == 40029 || w.Code == 40163:
			t.Errorf("a user's bad code is among the tenant's WeChat errors: %+v", w)
		case w.AppID == mobileAppID && (w.Code == 40125 || w.Code == 40001):
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("the rejected AppSecret of %s is not among the tenant's WeChat errors once: %+v", mobileAppID, recent)
	}
}

func TestWeChatAppLoginPolicies(t *testing.T) {
	e := withOpenApps(t)
	e.loginBody(`{"code":"` + e.code("known") + `"}`) // a mini-program user, before the policy changes
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	var ticket string
	rows := []scenario{
		{name: "signup: a stranger gets a ticket", bodyFn: appBody("stranger"), status: 200, delta: state{0, 0, 0},
			check: func(t *testing.T, r response) {
				if r.Body["registered"] != false || r.str("signup_ticket") == "" || r.Body["session"] != nil {
					t.Fatalf("want a sign-up ticket: %s", r.Raw)
				}
				ticket = r.str("signup_ticket")
				remember(ticket, "signup ticket")
			}},
		{name: "signup: the ticket registers", path: "/t/acme/register", bodyFn: func(*env) string {
			return `{"signup_ticket":"` + ticket + `"}`
		}, status: 200, delta: state{1, 1, 1}, check: func(t *testing.T, r response) {
			if r.obj("user")["is_new"] != true {
				t.Errorf("register: %s", r.Raw)
			}
		}},
		{name: "signup: the registered stranger comes back", bodyFn: appBody("stranger"), status: 200, delta: state{0, 0, 1}},
		{name: "signup: a known person by unionid", bodyFn: appBody("known"), status: 200, delta: state{0, 1, 1}},
		{name: "existing_only: a stranger gets a ticket", before: func(e *env) {
			e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationExistingOnly })
		}, bodyFn: appBody("nobody"), status: 200, delta: state{0, 0, 0}, check: func(t *testing.T, r response) {
			if r.Body["registered"] != false {
				t.Fatalf("want a sign-up ticket: %s", r.Raw)
			}
		}},
		{name: "existing_only: a known person", bodyFn: appBody("known"), status: 200, delta: state{0, 0, 1}},
		{name: "auto: a stranger registers", before: func(e *env) {
			e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationAuto })
		}, bodyFn: appBody("nobody"), status: 200, delta: state{1, 1, 1}},
	}
	runScenarios(t, e, scenario{path: "/t/acme/login/wechat-app"}, rows)

	// A banned user is refused on the app too.
	id := e.appLogin("villain").str("user", "id")
	var uid int64
	if err := e.db.Get(&uid, `SELECT id FROM users WHERE public_id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if err := e.users.SetBanned(context.Background(), e.tenant.ID, uid, true, audit.CLI); err != nil {
		t.Fatal(err)
	}
	runScenarios(t, e, scenario{path: "/t/acme/login/wechat-app"}, []scenario{
		{name: "banned", bodyFn: appBody("villain"), status: 403, code: "user_banned"},
	})
}
