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
	if u := held.obj("user"); u["phone_bound"] != true || u["is_new"] != true {
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
		r.obj("user")["phone_bound"] != false {
		t.Fatalf("phone of another user: %d %s", r.Status, r.Raw)
	}
	remember(r.str("session"), "session token")
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

	signedUp := func(t *testing.T, r response) {
		u := r.obj("user")
		if u["is_new"] != true || u["nickname"] != "新人" || r.Body["session"] == nil {
			t.Fatalf("register answer: %s", r.Raw)
		}
		if me := e.do("GET", "/t/acme/me", "", bearer(r.str("session"))...); me.Status != 200 {
			t.Fatalf("the new session does not work: %d", me.Status)
		}
	}
	runScenarios(t, e, scenario{path: "/t/acme/register"}, []scenario{
		{name: "no ticket", body: `{}`, status: 400, code: "invalid_request"},
		{name: "unknown ticket", body: `{"signup_ticket":"mat_` + strings.Repeat("A", 43) + `"}`, status: 400, code: "invalid_ticket"},
		{name: "garbage ticket", body: `{"signup_ticket":"hello"}`, status: 400, code: "invalid_ticket"},
		{name: "bad avatar", body: `{"signup_ticket":"` + ticket + `","avatar_url":"javascript:alert(1)"}`, status: 400, code: "invalid_request"},
		{name: "sign-up", body: `{"signup_ticket":"` + ticket + `","nickname":"新人"}`, status: 200, delta: state{1, 1, 1}, check: signedUp},
		{name: "ticket used twice", body: `{"signup_ticket":"` + ticket + `"}`, status: 400, code: "invalid_ticket"},
	})
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
	ticket := e.loginBody(`{"code":"` + e.code("second") + `"}`).str("signup_ticket")
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
	ticket := e.loginBody(`{"code":"` + e.code("racer") + `"}`).str("signup_ticket")
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

	ticket := e.loginBody(`{"code":"` + e.code("xiaoming") + `"}`).str("signup_ticket")
	remember(ticket, "signup ticket")
	if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`); r.Status != 400 || r.errCode() != "invalid_request" {
		t.Fatalf("existing_only sign-up without phone_code: %d %s", r.Status, r.Raw)
	}
	before := e.state()
	r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","phone_code":"`+e.phoneCode(demoAppID, "xiaoming")+`"}`)
	if r.Status != 200 {
		t.Fatalf("existing_only sign-up: %d %s", r.Status, r.Raw)
	}
	u := r.obj("user")
	if u["id"] != imported || u["is_new"] != false || u["nickname"] != "王小明" || u["phone_bound"] != true {
		t.Fatalf("bound to %s, want the imported user %s: %s", u["id"], imported, r.Raw)
	}
	if after := e.state(); after.users != before.users || after.identities != before.identities+1 {
		t.Fatalf("binding changed %+v → %+v, want one identity more and no user", before, after)
	}

	// Login and bind in one step.
	r = e.loginBody(`{"code":"` + e.code("lilei") + `","phone_code":"` + e.phoneCode(demoAppID, "lilei") + `"}`)
	if u := r.obj("user"); r.Body["session"] == nil || u["nickname"] != "李雷" {
		t.Fatalf("login with phone_code under existing_only: %s", r.Raw)
	}

	// Nobody has the stranger's number.
	ticket = e.loginBody(`{"code":"` + e.code("stranger") + `"}`).str("signup_ticket")
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
	a, b := first.obj("user"), second.obj("user")
	if second.Body["session"] == nil || a["id"] != b["id"] || b["is_new"] != false {
		t.Fatalf("second app's login: %s; want the first app's user %s", second.Raw, a["id"])
	}
	if n := e.count("SELECT COUNT(*) FROM identities WHERE user_id = (SELECT id FROM users WHERE public_id = ?)", a["id"]); n != 2 {
		t.Fatalf("%d identities, want one per app", n)
	}
}
