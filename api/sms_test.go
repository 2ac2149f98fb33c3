package api_test

import (
	"strconv"
	"testing"

	"miniauth/tenants/sms"
)

// POST /t/{tenant}/sms/send (docs/sms.md): a code to the phone's inbox,
// the per-phone budget, bad input answered 4xx with nothing sent.
func TestSMSSend(t *testing.T) {
	e := newEnv(t)
	runScenarios(t, e, scenario{path: "/t/acme/sms/send"}, []scenario{
		{name: "no SMS settings", body: `{"phone":"+8613800138000","purpose":"login"}`, status: 409, code: "sms_not_configured"},
	})
	e.enableSMS(sms.Tencent, sms.Limits{AddressPerHour: 100, AddressPerDay: 100})
	e.wx.SetPerson("known", "86", "13800138001", "", "")
	e.login("known")

	var first response
	runScenarios(t, e, scenario{path: "/t/acme/sms/send"}, []scenario{
		{name: "a code is sent", body: `{"phone":"+8613800138000","purpose":"login"}`, status: 202,
			check: func(t *testing.T, r response) {
				first = r
				if r.num("expires_in") != 300 || r.num("resend_after") < 1 || r.num("resend_after") > 60 {
					t.Fatalf("answer: %s", r.Raw)
				}
				box := e.inbox("+8613800138000")
				if len(box) != 1 || box[0]["template_id"] != smsTencentTempl || len(e.smsCode("+8613800138000")) != 6 {
					t.Fatalf("inbox: %v", box)
				}
			}},
		{name: "the same phone within a minute", body: `{"phone":"+8613800138000","purpose":"login"}`, status: 429, code: "rate_limited",
			check: func(t *testing.T, r response) {
				if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 1 || ra > 60 {
					t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
				}
				if n := len(e.inbox("+8613800138000")); n != 1 {
					t.Fatalf("%d messages after a refused send", n)
				}
			}},
		{name: "a phone that has an account answers alike", body: `{"phone":"+8613800138001","purpose":"login"}`, status: 202,
			check: func(t *testing.T, r response) {
				if r.Raw != first.Raw {
					t.Fatalf("answer %s differs from a stranger's %s", r.Raw, first.Raw)
				}
			}},
		{name: "purpose defaults to login", body: `{"phone":"+86 138-0013-8002"}`, status: 202},
		{name: "a bind code", body: `{"phone":"+8613800138003","purpose":"bind"}`, status: 202},
		{name: "not a phone number", body: `{"phone":"12345","purpose":"login"}`, status: 400, code: "invalid_phone"},
		{name: "not a mobile number under +86", body: `{"phone":"+861234567","purpose":"login"}`, status: 400, code: "invalid_phone"},
		{name: "a country the tenant does not serve", body: `{"phone":"+14155550100","purpose":"login"}`, status: 400, code: "invalid_phone"},
		{name: "no phone", body: `{"purpose":"login"}`, status: 400, code: "invalid_phone"},
		{name: "unknown purpose", body: `{"phone":"+8613800138004","purpose":"reset"}`, status: 400, code: "invalid_request"},
		{name: "unknown field", body: `{"phone":"+8613800138004","code":"1"}`, status: 400, code: "invalid_request"},
		{name: "not JSON", body: `phone=+8613800138004`, status: 400, code: "invalid_request"},
		{name: "unknown tenant", path: "/t/nobody/sms/send", body: `{"phone":"+8613800138004"}`, status: 404, code: "tenant_not_found"},
	})
	if n := len(e.inbox("+8613800138004")); n != 0 {
		t.Fatalf("%d messages sent by refused requests", n)
	}
	noSMSCodeIn(t, e.logs.String())
}

// POST /t/{tenant}/login/sms under the auto policy: a new number is a new
// user, the same number the same user; a code is single use and wrong,
// used, malformed and other-purpose codes are refused alike.
func TestSMSLogin(t *testing.T) {
	e := newEnv(t)
	// Tencent: its per-number limit (10 a day) leaves room for this
	// test's sends to one phone; Alibaba's (1 a minute) would not.
	e.enableSMS(sms.Tencent, sms.Limits{PhonePerMinute: 100, PhonePerHour: 100, PhonePerDay: 100, AddressPerHour: 100, AddressPerDay: 100})
	const phone = "+8613900139000"
	var userID, code string
	send := func(purpose string) func(e *env) {
		return func(e *env) { e.sendSMS(phone, purpose); code = e.smsCode(phone) }
	}
	withCode := func(e *env) string { return `{"phone":"` + phone + `","code":"` + code + `"}` }
	// The body is built before a row's before runs: the send goes in it.
	sendThen := func(purpose string) func(e *env) string {
		return func(e *env) string { send(purpose)(e); return withCode(e) }
	}
	runScenarios(t, e, scenario{path: "/t/acme/login/sms"}, []scenario{
		{name: "a new number is a new user", bodyFn: sendThen("login"), status: 200,
			delta: state{users: 1, sessions: 1}, check: func(t *testing.T, r response) {
				u := r.obj("user")
				if u["is_new"] != true || u["phone_bound"] != true || r.str("session") == "" || r.str("access_token") == "" {
					t.Fatalf("answer: %s", r.Raw)
				}
				userID = r.str("user", "id")
			}},
		{name: "a used code", bodyFn: withCode, status: 401, code: "invalid_sms_code"},
		{name: "the same number again is the same user", bodyFn: sendThen("login"), status: 200,
			delta: state{sessions: 1}, check: func(t *testing.T, r response) {
				if r.str("user", "id") != userID || r.obj("user")["is_new"] != false {
					t.Fatalf("answer: %s, want user %s", r.Raw, userID)
				}
			}},
		{name: "a wrong code", before: send("login"), body: `{"phone":"` + phone + `","code":"000000"}`, status: 401, code: "invalid_sms_code"},
		{name: "the right code after a wrong one", bodyFn: withCode, status: 200, delta: state{sessions: 1}},
		{name: "a malformed code answers as a wrong one", body: `{"phone":"` + phone + `","code":"12ab"}`, status: 401, code: "invalid_sms_code"},
		{name: "a code for binding does not log in", bodyFn: sendThen("bind"), status: 401, code: "invalid_sms_code"},
		{name: "no code was sent to this number", body: `{"phone":"+8613900139001","code":"123456"}`, status: 401, code: "invalid_sms_code"},
		{name: "not a phone number", body: `{"phone":"abc","code":"123456"}`, status: 400, code: "invalid_phone"},
		{name: "no code", body: `{"phone":"` + phone + `"}`, status: 400, code: "invalid_request"},
		{name: "unknown field", body: `{"phone":"` + phone + `","code":"123456","appid":"x"}`, status: 400, code: "invalid_request"},
	})

	// Five wrong tries end the code: the right one is refused after them.
	rows := []scenario{}
	for i := 0; i < 5; i++ {
		rows = append(rows, scenario{name: "wrong try " + strconv.Itoa(i), body: `{"phone":"` + phone + `","code":"99999` + strconv.Itoa(i) + `"}`, status: 401})
	}
	rows[0].before = send("login")
	rows = append(rows,
		scenario{name: "the right code after five wrong tries", bodyFn: withCode, status: 401, code: "invalid_sms_code"},
		// A banned user's code is spent, and the answer is user_banned.
		scenario{name: "banned", bodyFn: func(e *env) string {
			if _, err := e.db.Exec("UPDATE users SET status = 'banned' WHERE public_id = ?", userID); err != nil {
				e.t.Fatal(err)
			}
			return sendThen("login")(e)
		}, status: 403, code: "user_banned"})
	runStory(t, e, scenario{path: "/t/acme/login/sms"}, rows)
	noSMSCodeIn(t, e.logs.String())
}
