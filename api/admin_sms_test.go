package api_test

import (
	"strings"
	"testing"

	"miniauth/tenants/sms"
)

// GET/PUT/DELETE /admin/api/tenants/{tenant}/sms and POST …/sms/test: the
// secret is write-only and sealed, every change audited, other tenants'
// admins kept out, and a test code reaches the simulator's inbox.
func TestAdminSMSSettings(t *testing.T) {
	e := newAdminEnv(t)
	e.sms.AddTencent(smsTencentID, smsTencentKey, smsTencentApp)
	remember(smsTencentKey, "Tencent SecretKey")
	const path = "/admin/api/tenants/acme/sms"
	body := `{"provider":"tencent","access_key_id":"` + smsTencentID + `","secret":"` + smsTencentKey + `","sdk_app_id":"` + smsTencentApp +
		`","sign_name":"迷你认证","template_id":"100001","allowed_prefixes":["+86","+852"],"limits":{"tenant_per_day":500}}`
	by := func(who caller) []string { return adminHeader(e.callers[who]) }
	noSecret := func(t *testing.T, r response) {
		if strings.Contains(r.Raw, smsTencentKey) || r.Body["secret"] != nil {
			t.Fatalf("the secret is in the answer: %s", r.Raw)
		}
	}
	updated := []string{"sms.settings_updated"}
	runStory(t, e.env, scenario{path: path, header: by(own)}, []scenario{
		{name: "not configured", method: "GET", status: 200, check: func(t *testing.T, r response) {
			if r.Body["configured"] != false || r.num("defaults", "tenant_per_day") != 1000 || r.num("defaults", "phone_per_minute") != 1 {
				t.Fatalf("answer: %s", r.Raw)
			}
		}},
		{name: "another tenant's admin", header: by(other), method: "GET", status: 404, code: "tenant_not_found"},
		{name: "signed out", header: by(signedOut), method: "PUT", body: body, status: 401, code: "unauthenticated"},
		{name: "bad CSRF", header: by(badCSRF), method: "PUT", body: body, status: 403, code: "csrf_failed"},
		{name: "a first PUT needs the secret", method: "PUT",
			body: strings.Replace(body, `"secret":"`+smsTencentKey+`",`, "", 1), status: 400, code: "invalid_request"},
		{name: "an unknown provider", method: "PUT", body: strings.Replace(body, `"tencent"`, `"twilio"`, 1), status: 400, code: "invalid_request"},
		{name: "an unknown field", method: "PUT", body: strings.Replace(body, `"sign_name"`, `"signature"`, 1), status: 400, code: "invalid_request"},
		{name: "a test code before the settings", path: path + "/test", body: `{"phone":"+8613100131001"}`, status: 409, code: "sms_not_configured"},
		{name: "set", method: "PUT", body: body, status: 200, audit: updated, check: func(t *testing.T, r response) {
			noSecret(t, r)
			if r.Body["configured"] != true || r.Body["secret_set"] != true || r.str("provider") != "tencent" ||
				r.num("limits", "tenant_per_day") != 500 || len(r.list("allowed_prefixes")) != 2 {
				t.Fatalf("answer: %s", r.Raw)
			}
		}},
		{name: "change without the secret keeps it", header: by(platform), method: "PUT",
			body: strings.Replace(body, `"secret":"`+smsTencentKey+`",`, "", 1), status: 200, audit: updated, check: noSecret},
		{name: "read back", method: "GET", status: 200, check: func(t *testing.T, r response) {
			noSecret(t, r)
			if r.Body["secret_set"] != true || r.num("sent_today") != 0 || r.Body["daily_cap_reached"] != false {
				t.Fatalf("answer: %s", r.Raw)
			}
		}},
		{name: "a test code", path: path + "/test", body: `{"phone":"+8613100131001"}`, status: 202, audit: []string{"sms.test_sent"},
			check: func(t *testing.T, r response) {
				if len(e.smsCode("+8613100131001")) != 6 {
					t.Fatal("no code delivered")
				}
			}},
		{name: "the test code is counted", method: "GET", status: 200, check: func(t *testing.T, r response) {
			if r.num("sent_today") != 1 {
				t.Fatalf("answer: %s", r.Raw)
			}
		}},
		{name: "a test code to a bad number", path: path + "/test", body: `{"phone":"555"}`, status: 400, code: "invalid_phone"},
		{name: "delete", method: "DELETE", status: 204, audit: []string{"sms.settings_deleted"}},
		{name: "delete again", method: "DELETE", status: 404, code: "not_found"},
		{name: "gone", method: "GET", status: 200, check: func(t *testing.T, r response) {
			if r.Body["configured"] != false {
				t.Fatalf("answer: %s", r.Raw)
			}
		}},
	})
	var sealed []byte
	if err := e.db.Get(&sealed, "SELECT secret_sealed FROM sms_settings LIMIT 1"); err == nil {
		t.Fatal("settings left after the delete")
	}
	// The rows checked each change's audit action; all four are acme's.
	if n := e.count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action LIKE 'sms.%'", e.tenant.ID); n != 4 {
		t.Fatalf("%d of the SMS audit entries are acme's, want 4", n)
	}
	if strings.Contains(e.logs.String(), smsTencentKey) {
		t.Fatal("the secret is in the logs")
	}
	noSMSCodeIn(t, e.logs.String())
}

// The secret is sealed at rest: the row holds no plain secret.
func TestSMSSecretSealed(t *testing.T) {
	e := newEnv(t)
	e.enableSMS(sms.Aliyun, smsRoomy)
	var sealed []byte
	if err := e.db.Get(&sealed, "SELECT secret_sealed FROM sms_settings WHERE tenant_id = ?", e.tenant.ID); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || strings.Contains(string(sealed), smsAliyunSecret) {
		t.Fatal("the secret is not sealed")
	}
}
