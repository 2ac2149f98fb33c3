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
	held := e.loginBody(`{"code":"` + e.code("held") + `","phone_code":"` + e.phoneCode(demoAppID, "held") + `"}`)
	if u := held.Body["user"].(map[string]any); u["phone_bound"] != true || u["is_new"] != true {
		t.Fatalf("login with phone_code: %s", held.Raw)
	}
	if n := e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613800000001'"); n != 1 {
		t.Fatalf("%d users with the phone number, want 1", n)
	}
	// The phone is exchanged once the login stands: a number held by
	// another user leaves the login done and says why in phone_error.
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("taker")+`","phone_code":"`+e.phoneCode(demoAppID, "taker")+`"}`)
	pe, _ := r.Body["phone_error"].(map[string]any)
	if r.Status != 200 || r.Body["session"] == nil || pe["code"] != "phone_in_use" || pe["message"] == "" ||
		r.Body["user"].(map[string]any)["phone_bound"] != false {
		t.Fatalf("phone of another user: %d %s", r.Status, r.Raw)
	}
	remember(r.Body["session"].(string), "session token")
	r = e.do("POST", "/t/acme/login", `{"code":"`+e.code("x")+`","phone_code":"../etc"}`)
	if r.Status != 400 || r.errCode() != "invalid_request" {
		t.Fatalf("malformed phone_code: %d %s", r.Status, r.Raw)
	}
}

func TestSignupPolicy(t *testing.T) {
	e := newEnv(t)
	e.login("old-timer") // registered while the policy was auto
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })

	before := e.state()
	r := e.loginBody(`{"code":"` + e.code("newcomer") + `"}`)
	ticket, _ := r.Body["signup_ticket"].(string)
	if r.Body["registered"] != false || !strings.HasPrefix(ticket, "mat_") || r.Body["expires_in"] != float64(600) || r.Body["session"] != nil {
		t.Fatalf("unknown identity under signup: %s", r.Raw)
	}
	remember(ticket, "signup ticket")
	if after := e.state(); after != before {
		t.Fatalf("an unregistered login wrote %+v → %+v", before, after)
	}
	if r := e.loginBody(`{"code":"` + e.code("old-timer") + `"}`); r.Body["session"] == nil {
		t.Fatalf("known user under signup: %s", r.Raw)
	}

	scenarios := []struct {
		name   string
		body   string
		status int
		code   string
		delta  state
	}{
		{"no ticket", `{}`, 400, "invalid_request", state{}},
		{"unknown ticket", `{"signup_ticket":"mat_` + strings.Repeat("A", 43) + `"}`, 400, "invalid_ticket", state{}},
		{"garbage ticket", `{"signup_ticket":"hello"}`, 400, "invalid_ticket", state{}},
		{"bad avatar", `{"signup_ticket":"` + ticket + `","avatar_url":"javascript:alert(1)"}`, 400, "invalid_request", state{}},
		{"sign-up", `{"signup_ticket":"` + ticket + `","nickname":"新人"}`, 200, "", state{1, 1, 1}},
		{"ticket used twice", `{"signup_ticket":"` + ticket + `"}`, 400, "invalid_ticket", state{}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			before := e.state()
			r := e.do("POST", "/t/acme/register", sc.body)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			after := e.state()
			if got := (state{after.users - before.users, after.identities - before.identities, after.sessions - before.sessions}); got != sc.delta {
				t.Fatalf("changed %+v, want %+v", got, sc.delta)
			}
			if sc.status == 200 {
				u := r.Body["user"].(map[string]any)
				if u["is_new"] != true || u["nickname"] != "新人" || r.Body["session"] == nil {
					t.Fatalf("register answer: %s", r.Raw)
				}
				if me := e.do("GET", "/t/acme/me", "", bearer(r.Body["session"].(string))...); me.Status != 200 {
					t.Fatalf("the new session does not work: %d", me.Status)
				}
			}
		})
	}
	e.t = t
	// The new user now logs in directly.
	if r := e.loginBody(`{"code":"` + e.code("newcomer") + `"}`); r.Body["session"] == nil {
		t.Fatalf("registered user's login: %s", r.Raw)
	}
}

func TestSignupRefusedKeepsTheTicket(t *testing.T) {
	e := newEnv(t)
	e.wx.SetPerson("first", "86", "13900000009", "", "")
	e.wx.SetPerson("second", "86", "13900000009", "", "")
	e.loginBody(`{"code":"` + e.code("first") + `","phone_code":"` + e.phoneCode(demoAppID, "first") + `"}`)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	ticket := e.loginBody(`{"code":"` + e.code("second") + `"}`).Body["signup_ticket"].(string)
	remember(ticket, "signup ticket")
	r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","phone_code":"`+e.phoneCode(demoAppID, "second")+`"}`)
	if r.Status != 409 || r.errCode() != "phone_in_use" {
		t.Fatalf("sign-up with a phone in use: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`); r.Status != 200 {
		t.Fatalf("retry without the phone: %d %s", r.Status, r.Raw)
	}
}

func TestConcurrentSignupsWithOneTicket(t *testing.T) {
	e := newEnv(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	ticket := e.loginBody(`{"code":"` + e.code("racer") + `"}`).Body["signup_ticket"].(string)
	remember(ticket, "signup ticket")
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`).Status
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 || e.count("SELECT COUNT(*) FROM users") != 1 || e.sessionKeys() != 1 {
		t.Fatalf("statuses %v, %d users, %d sessions: want one sign-up", statuses, e.count("SELECT COUNT(*) FROM users"), e.sessionKeys())
	}
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

	ticket := e.loginBody(`{"code":"` + e.code("xiaoming") + `"}`).Body["signup_ticket"].(string)
	remember(ticket, "signup ticket")
	if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`); r.Status != 400 || r.errCode() != "invalid_request" {
		t.Fatalf("existing_only sign-up without phone_code: %d %s", r.Status, r.Raw)
	}
	before := e.state()
	r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","phone_code":"`+e.phoneCode(demoAppID, "xiaoming")+`"}`)
	if r.Status != 200 {
		t.Fatalf("existing_only sign-up: %d %s", r.Status, r.Raw)
	}
	u := r.Body["user"].(map[string]any)
	if u["id"] != imported || u["is_new"] != false || u["nickname"] != "王小明" || u["phone_bound"] != true {
		t.Fatalf("bound to %s, want the imported user %s: %s", u["id"], imported, r.Raw)
	}
	if after := e.state(); after.users != before.users || after.identities != before.identities+1 {
		t.Fatalf("binding changed %+v → %+v, want one identity more and no user", before, after)
	}

	// Login and bind in one step.
	r = e.loginBody(`{"code":"` + e.code("lilei") + `","phone_code":"` + e.phoneCode(demoAppID, "lilei") + `"}`)
	if u := r.Body["user"].(map[string]any); r.Body["session"] == nil || u["nickname"] != "李雷" {
		t.Fatalf("login with phone_code under existing_only: %s", r.Raw)
	}

	// Nobody has the stranger's number.
	ticket = e.loginBody(`{"code":"` + e.code("stranger") + `"}`).Body["signup_ticket"].(string)
	remember(ticket, "signup ticket")
	before = e.state()
	r = e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","phone_code":"`+e.phoneCode(demoAppID, "stranger")+`"}`)
	if r.Status != 403 || r.errCode() != "not_registered" {
		t.Fatalf("stranger: %d %s", r.Status, r.Raw)
	}
	r = e.do("POST", "/t/acme/login", `{"code":"`+e.code("stranger")+`","phone_code":"`+e.phoneCode(demoAppID, "stranger")+`"}`)
	if r.Status != 403 || r.errCode() != "not_registered" {
		t.Fatalf("stranger's one-step login: %d %s", r.Status, r.Raw)
	}
	if after := e.state(); after != before {
		t.Fatalf("refused sign-ups wrote %+v → %+v", before, after)
	}
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
	first := e.loginBody(`{"code":"` + e.code("mei") + `"}`)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	code, _ := e.wx.IssueCode(otherAppID, "mei")
	second := e.loginBody(`{"code":"` + code + `","appid":"` + otherAppID + `"}`)
	a, b := first.Body["user"].(map[string]any), second.Body["user"].(map[string]any)
	if second.Body["session"] == nil || a["id"] != b["id"] || b["is_new"] != false {
		t.Fatalf("second app's login: %s; want the first app's user %s", second.Raw, a["id"])
	}
	if n := e.count("SELECT COUNT(*) FROM identities WHERE user_id = (SELECT id FROM users WHERE public_id = ?)", a["id"]); n != 2 {
		t.Fatalf("%d identities, want one per app", n)
	}
}
