package api_test

import (
	"context"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
	"miniauth/tenants/users"
)

var smsRoomy = sms.Limits{PhonePerMinute: 100, PhonePerHour: 100, PhonePerDay: 100, AddressPerHour: 100, AddressPerDay: 100}

// smsLoginBody sends a login code to phone and returns the login body
// with it.
func smsLoginBody(phone string) func(e *env) string {
	return func(e *env) string {
		e.sendSMS(phone, "login")
		return `{"phone":"` + phone + `","code":"` + e.smsCode(phone) + `"}`
	}
}

// The registration policies with SMS (docs/registration.md, docs/sms.md):
// signup answers a ticket for an unknown number, which /register turns
// into a user with that number; existing_only admits only the numbers the
// tenant has.
func TestSMSLoginPolicies(t *testing.T) {
	e := newEnv(t)
	e.enableSMS(sms.Tencent, smsRoomy)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	var ticket string
	runScenarios(t, e, scenario{path: "/t/acme/login/sms"}, []scenario{
		{name: "signup: an unknown number gets a ticket", bodyFn: smsLoginBody("+8613700137001"), status: 200,
			check: func(t *testing.T, r response) {
				if r.Body["registered"] != false || r.Body["session"] != nil {
					t.Fatalf("answer: %s", r.Raw)
				}
				ticket = r.str("signup_ticket")
			}},
	})
	runScenarios(t, e, scenario{path: "/t/acme/register"}, []scenario{
		{name: "signup: a phone_code does not go with an SMS ticket", bodyFn: func(*env) string {
			return `{"signup_ticket":"` + ticket + `","phone_code":"abc"}`
		}, status: 400, code: "invalid_request"},
		{name: "signup: the ticket makes the user with the number", bodyFn: func(*env) string {
			return `{"signup_ticket":"` + ticket + `","nickname":"小红"}`
		}, status: 200, delta: state{users: 1, sessions: 1}, check: func(t *testing.T, r response) {
			u := r.obj("user")
			if u["is_new"] != true || u["phone_bound"] != true || u["nickname"] != "小红" {
				t.Fatalf("answer: %s", r.Raw)
			}
			if n := e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613700137001'"); n != 1 {
				t.Fatalf("%d users with the number", n)
			}
		}},
		{name: "signup: the ticket is spent", bodyFn: func(*env) string { return `{"signup_ticket":"` + ticket + `"}` },
			status: 400, code: "invalid_ticket"},
	})
	runScenarios(t, e, scenario{path: "/t/acme/login/sms"}, []scenario{
		{name: "signup: a known number logs in", bodyFn: smsLoginBody("+8613700137001"), status: 200, delta: state{sessions: 1},
			check: func(t *testing.T, r response) {
				if r.obj("user")["is_new"] != false {
					t.Fatalf("answer: %s", r.Raw)
				}
			}},
	})

	res, err := e.users.Import(context.Background(), e.tenant.ID, []users.ImportRow{{Phone: "13700137002", Name: "王小明"}}, audit.CLI)
	if err != nil || res.Created != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationExistingOnly })
	runScenarios(t, e, scenario{path: "/t/acme/login/sms"}, []scenario{
		{name: "existing_only: an imported number is that user", bodyFn: smsLoginBody("+8613700137002"), status: 200,
			delta: state{sessions: 1}, check: func(t *testing.T, r response) {
				if u := r.obj("user"); u["nickname"] != "王小明" || u["is_new"] != false {
					t.Fatalf("answer: %s", r.Raw)
				}
			}},
		{name: "existing_only: an unknown number", bodyFn: smsLoginBody("+8613700137003"), status: 403, code: "not_registered"},
	})
	noSMSCodeIn(t, e.logs.String())
}

// The number a mini-program user bound with getPhoneNumber is the same
// account by SMS, and the number an SMS user has is the one a
// mini-program login binds to under existing_only.
func TestSMSSameAccountAsMiniProgram(t *testing.T) {
	e := newEnv(t)
	e.enableSMS(sms.Tencent, smsRoomy)
	e.wx.SetPerson("meimei", "86", "13600136001", "", "")
	tok := e.login("meimei")
	var mpUser, smsSession, smsUser string
	runStory(t, e, scenario{path: "/t/acme/login/sms"}, []scenario{
		{name: "bind by getPhoneNumber", path: "/t/acme/me/phone", header: bearer(tok), bodyFn: func(e *env) string {
			return `{"code":"` + e.phoneCode(demoAppID, "meimei") + `"}`
		}, status: 200, check: func(t *testing.T, r response) { mpUser = r.str("user", "id") }},
		{name: "SMS login with the mini-program user's number", bodyFn: smsLoginBody("+8613600136001"), status: 200,
			delta: state{sessions: 1}, check: func(t *testing.T, r response) {
				if r.str("user", "id") != mpUser || r.obj("user")["is_new"] != false {
					t.Fatalf("answer %s, want the mini-program's user %s", r.Raw, mpUser)
				}
				smsSession = r.str("session")
			}},
		// The SMS session is that user's: /me answers it.
		{name: "/me of the SMS session", method: "GET", path: "/t/acme/me", headerFn: func(*env) []string { return bearer(smsSession) },
			status: 200, check: func(t *testing.T, r response) {
				if r.str("user", "id") != mpUser {
					t.Fatalf("/me: %s", r.Raw)
				}
			}},
		// An SMS user first; the mini-program comes later under existing_only
		// and binds its identity to that account by the same number.
		{name: "an SMS user", bodyFn: smsLoginBody("+8613600136002"), status: 200, delta: state{users: 1, sessions: 1},
			check: func(t *testing.T, r response) { smsUser = r.str("user", "id") }},
		{name: "mini-program login of the SMS user's number", path: "/t/acme/login", before: func(e *env) {
			e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationExistingOnly })
		}, bodyFn: func(e *env) string {
			e.wx.SetPerson("lilei", "86", "13600136002", "", "")
			return `{"code":"` + e.code("lilei") + `","phone_code":"` + e.phoneCode(demoAppID, "lilei") + `"}`
		}, status: 200, delta: state{identities: 1, sessions: 1}, check: func(t *testing.T, r response) {
			if r.str("user", "id") != smsUser {
				t.Fatalf("mini-program login of the SMS user's number: %s, want %s", r.Raw, smsUser)
			}
		}},
	})
	noSMSCodeIn(t, e.logs.String())
}

// POST /t/{tenant}/me/phone/sms binds or changes the signed-in user's
// number; a number another user has is 409 phone_in_use, changing nothing.
func TestSMSBindPhone(t *testing.T) {
	e := newEnv(t)
	e.enableSMS(sms.Tencent, smsRoomy)
	e.smsLogin("+8613500135009") // another user holds this number
	tok := e.login("hanmeimei")
	bindBody := func(phone, purpose string) func(e *env) string {
		return func(e *env) string {
			e.sendSMS(phone, purpose)
			return `{"phone":"` + phone + `","code":"` + e.smsCode(phone) + `"}`
		}
	}
	phoneOf := func() string {
		var p *string
		if err := e.db.Get(&p, `SELECT u.phone FROM users u JOIN identities i ON i.user_id = u.id WHERE i.openid <> '' LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		if p == nil {
			return ""
		}
		return *p
	}
	runScenarios(t, e, scenario{path: "/t/acme/me/phone/sms", header: bearer(tok)}, []scenario{
		{name: "without a session", header: []string{}, bodyFn: bindBody("+8613500135001", "bind"), status: 401, code: "invalid_session"},
		{name: "a login code does not bind", bodyFn: bindBody("+8613500135001", "login"), status: 401, code: "invalid_sms_code"},
		{name: "bind", bodyFn: bindBody("+8613500135001", "bind"), status: 200, check: func(t *testing.T, r response) {
			if r.obj("user")["phone_bound"] != true || phoneOf() != "+8613500135001" {
				t.Fatalf("answer %s, phone %q", r.Raw, phoneOf())
			}
		}},
		{name: "change", bodyFn: bindBody("+8613500135002", "bind"), status: 200, check: func(t *testing.T, r response) {
			if phoneOf() != "+8613500135002" {
				t.Fatalf("phone %q after the change", phoneOf())
			}
		}},
		{name: "a number another user has", bodyFn: bindBody("+8613500135009", "bind"), status: 409, code: "phone_in_use",
			check: func(t *testing.T, r response) {
				if phoneOf() != "+8613500135002" {
					t.Fatalf("phone %q after a refused bind", phoneOf())
				}
			}},
		{name: "a wrong code", body: `{"phone":"+8613500135003","code":"000000"}`, status: 401, code: "invalid_sms_code"},
	})
	noSMSCodeIn(t, e.logs.String())
}
