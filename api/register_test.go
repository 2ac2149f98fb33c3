package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

func TestLoginWithPhoneCode(t *testing.T) {
	e := newEnv(t)
	e.wx.SetPerson("held", "86", "13800000001", "", "")
	e.wx.SetPerson("taker", "86", "13800000001", "", "")
	withPhone := func(user string) func(e *env) string {
		return func(e *env) string {
			return `{"code":"` + e.code(user) + `","phone_code":"` + e.phoneCode(demoAppID, user) + `"}`
		}
	}
	runScenarios(t, e, scenario{path: "/t/acme/login"}, []scenario{
		{name: "login with phone_code", bodyFn: withPhone("held"), status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				if u := r.obj("user"); u["phone_bound"] != true || u["is_new"] != true {
					t.Fatalf("login with phone_code: %s", r.Raw)
				}
				if n := e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613800000001'"); n != 1 {
					t.Fatalf("%d users with the phone number, want 1", n)
				}
			}},
		// The phone is exchanged once the login stands: a number held by
		// another user leaves the login done and says why in phone_error.
		{name: "phone of another user", bodyFn: withPhone("taker"), status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				pe := r.obj("phone_error")
				if r.Body["session"] == nil || pe["code"] != "phone_in_use" || pe["message"] == "" || r.obj("user")["phone_bound"] != false {
					t.Fatalf("phone of another user: %s", r.Raw)
				}
				remember(r.str("session"), "session token")
			}},
		{name: "malformed phone_code", bodyFn: func(e *env) string {
			return `{"code":"` + e.code("x") + `","phone_code":"../etc"}`
		}, status: 400, code: "invalid_request"},
	})
}

func TestSignupPolicy(t *testing.T) {
	e := newEnv(t)
	e.login("old-timer") // registered while the policy was auto
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })

	var ticket, session string
	withTicket := func(rest string) func(*env) string {
		return func(*env) string { return `{"signup_ticket":"` + ticket + `"` + rest + `}` }
	}
	codeOf := func(user string) func(e *env) string {
		return func(e *env) string { return `{"code":"` + e.code(user) + `"}` }
	}
	hasSession := func(t *testing.T, r response) {
		if r.Body["session"] == nil {
			t.Fatalf("no session: %s", r.Raw)
		}
	}
	runStory(t, e, scenario{path: "/t/acme/register"}, []scenario{
		// The runner's delta (none) says an unregistered login writes nothing.
		{name: "unknown identity under signup", path: "/t/acme/login", bodyFn: codeOf("newcomer"), status: 200,
			check: func(t *testing.T, r response) {
				ticket, _ = r.Body["signup_ticket"].(string)
				if r.Body["registered"] != false || !strings.HasPrefix(ticket, "mat_") || r.Body["expires_in"] != float64(600) || r.Body["session"] != nil {
					t.Fatalf("unknown identity under signup: %s", r.Raw)
				}
				remember(ticket, "signup ticket")
			}},
		{name: "known user under signup", path: "/t/acme/login", bodyFn: codeOf("old-timer"), status: 200, delta: state{0, 0, 1}, check: hasSession},
		{name: "no ticket", body: `{}`, status: 400, code: "invalid_request"},
		{name: "unknown ticket", body: `{"signup_ticket":"mat_` + strings.Repeat("A", 43) + `"}`, status: 400, code: "invalid_ticket"},
		{name: "garbage ticket", body: `{"signup_ticket":"hello"}`, status: 400, code: "invalid_ticket"},
		{name: "bad avatar", bodyFn: withTicket(`,"avatar_url":"javascript:alert(1)"`), status: 400, code: "invalid_request"},
		{name: "sign-up", bodyFn: withTicket(`,"nickname":"新人"`), status: 200, delta: state{1, 1, 1}, check: func(t *testing.T, r response) {
			u := r.obj("user")
			if u["is_new"] != true || u["nickname"] != "新人" {
				t.Fatalf("register answer: %s", r.Raw)
			}
			session = r.str("session")
		}},
		{name: "the new session works", method: "GET", path: "/t/acme/me", headerFn: func(*env) []string { return bearer(session) }, status: 200},
		{name: "ticket used twice", bodyFn: withTicket(""), status: 400, code: "invalid_ticket"},
		{name: "the new user now logs in directly", path: "/t/acme/login", bodyFn: codeOf("newcomer"), status: 200, delta: state{0, 0, 1}, check: hasSession},
	})
}

func TestSignupRefusedKeepsTheTicket(t *testing.T) {
	e := newEnv(t)
	e.wx.SetPerson("first", "86", "13900000009", "", "")
	e.wx.SetPerson("second", "86", "13900000009", "", "")
	e.loginBody(`{"code":"` + e.code("first") + `","phone_code":"` + e.phoneCode(demoAppID, "first") + `"}`)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	ticket := e.loginBody(`{"code":"` + e.code("second") + `"}`).str("signup_ticket")
	remember(ticket, "signup ticket")
	runStory(t, e, scenario{path: "/t/acme/register"}, []scenario{
		{name: "sign-up with a phone in use", bodyFn: func(e *env) string {
			return `{"signup_ticket":"` + ticket + `","phone_code":"` + e.phoneCode(demoAppID, "second") + `"}`
		}, status: 409, code: "phone_in_use"},
		{name: "retry without the phone", body: `{"signup_ticket":"` + ticket + `"}`, status: 200, delta: state{1, 1, 1}},
	})
}

func TestConcurrentSignupsWithOneTicket(t *testing.T) {
	e := newEnv(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	ticket := e.loginBody(`{"code":"` + e.code("racer") + `"}`).str("signup_ticket")
	remember(ticket, "signup ticket")
	const n = 8
	statuses := make([]int, n)
	runStory(t, e, scenario{path: "/t/acme/register"}, []scenario{
		// The burst of sign-ups at once cannot be rows: it goes in the
		// row's before, and the row is the ticket tried once more after it.
		{name: "the ticket after eight sign-ups at once", before: func(e *env) {
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					statuses[i] = e.doAt(e.base, "POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`).Status
				}(i)
			}
			wg.Wait()
		}, body: `{"signup_ticket":"` + ticket + `"}`, status: 400, code: "invalid_ticket", check: func(t *testing.T, r response) {
			ok := 0
			for _, s := range statuses {
				if s == 200 {
					ok++
				}
			}
			if ok != 1 || e.count("SELECT COUNT(*) FROM users") != 1 || e.sessionKeys() != 1 {
				t.Fatalf("statuses %v, %d users, %d sessions: want one sign-up", statuses, e.count("SELECT COUNT(*) FROM users"), e.sessionKeys())
			}
		}},
	})
}

func TestExistingOnlyPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res, err := users.NewStore(e.db).Import(ctx, e.tenant.ID, []users.ImportRow{
		{Phone: "13700000001", Name: "王小明", ExternalID: "crm-1"},
		{Phone: "+86 137-0000-0002", Name: "李雷", ExternalID: "crm-2"},
	}, audit.CLI)
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	var imported string
	if err := e.db.Get(&imported, "SELECT public_id FROM users WHERE external_id = 'crm-1'"); err != nil {
		t.Fatal(err)
	}
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationExistingOnly })
	e.wx.SetPerson("xiaoming", "86", "13700000001", "", "")
	e.wx.SetPerson("lilei", "86", "13700000002", "", "")
	e.wx.SetPerson("stranger", "86", "13700000099", "", "")

	ticket := e.loginBody(`{"code":"` + e.code("xiaoming") + `"}`).str("signup_ticket")
	remember(ticket, "signup ticket")
	var strangerTicket string
	withPhone := func(user string) func(e *env) string {
		return func(e *env) string {
			return `{"code":"` + e.code(user) + `","phone_code":"` + e.phoneCode(demoAppID, user) + `"}`
		}
	}
	runStory(t, e, scenario{path: "/t/acme/register"}, []scenario{
		{name: "existing_only sign-up without phone_code", body: `{"signup_ticket":"` + ticket + `"}`, status: 400, code: "invalid_request"},
		// Binding adds one identity to the imported user, and no user.
		{name: "existing_only sign-up", bodyFn: func(e *env) string {
			return `{"signup_ticket":"` + ticket + `","phone_code":"` + e.phoneCode(demoAppID, "xiaoming") + `"}`
		}, status: 200, delta: state{0, 1, 1}, check: func(t *testing.T, r response) {
			u := r.obj("user")
			if u["id"] != imported || u["is_new"] != false || u["nickname"] != "王小明" || u["phone_bound"] != true {
				t.Fatalf("bound to %s, want the imported user %s: %s", u["id"], imported, r.Raw)
			}
		}},
		{name: "login and bind in one step", path: "/t/acme/login", bodyFn: withPhone("lilei"), status: 200, delta: state{0, 1, 1},
			check: func(t *testing.T, r response) {
				if u := r.obj("user"); r.Body["session"] == nil || u["nickname"] != "李雷" {
					t.Fatalf("login with phone_code under existing_only: %s", r.Raw)
				}
			}},
		// Nobody has the stranger's number: both refusals change nothing.
		{name: "stranger", bodyFn: func(e *env) string {
			strangerTicket = e.loginBody(`{"code":"` + e.code("stranger") + `"}`).str("signup_ticket")
			remember(strangerTicket, "signup ticket")
			return `{"signup_ticket":"` + strangerTicket + `","phone_code":"` + e.phoneCode(demoAppID, "stranger") + `"}`
		}, status: 403, code: "not_registered"},
		{name: "stranger's one-step login", path: "/t/acme/login", bodyFn: withPhone("stranger"), status: 403, code: "not_registered"},
	})
}

func TestSecondAppJoinsByUnionID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.wx.AddApp(demoAppID, demoSecret, "acme-open")
	e.wx.AddApp(otherAppID, "other-app-secret-0123456789", "acme-open")
	if err := e.reg.AddApp(ctx, e.tenant.ID, tenants.NewApp{AppID: otherAppID, Secret: "other-app-secret-0123456789", Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
	var first string
	runStory(t, e, scenario{path: "/t/acme/login"}, []scenario{
		{name: "first app", bodyFn: func(e *env) string { return `{"code":"` + e.code("mei") + `"}` }, status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) { first = r.str("user", "id") }},
		{name: "second app's login joins the first app's user", before: func(e *env) {
			e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
		}, bodyFn: func(e *env) string {
			code, _ := e.wx.IssueCode(otherAppID, "mei")
			return `{"code":"` + code + `","appid":"` + otherAppID + `"}`
		}, status: 200, delta: state{0, 1, 1}, check: func(t *testing.T, r response) {
			b := r.obj("user")
			if r.Body["session"] == nil || b["id"] != first || b["is_new"] != false {
				t.Fatalf("second app's login: %s; want the first app's user %s", r.Raw, first)
			}
			if n := e.count("SELECT COUNT(*) FROM identities WHERE user_id = (SELECT id FROM users WHERE public_id = ?)", first); n != 2 {
				t.Fatalf("%d identities, want one per app", n)
			}
		}},
	})
}
