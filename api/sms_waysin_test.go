package api_test

import (
	"testing"
	"time"

	"miniauth/tenants/sms"
)

// The phone number is a way in with its last use (DESIGN §10, linking):
// an SMS login moves it, and both the user (GET /me/identities) and the
// console's user page see it.
func TestPhoneWayInLastUse(t *testing.T) {
	e := newAdminEnv(t)
	e.enableSMS(sms.Tencent, sms.Limits{})
	const phone = "+8613800138123"
	before := time.Now().Add(-time.Minute)
	r := e.smsLogin(phone)
	session, id := r.str("session"), r.str("user", "id")

	runScenarios(t, e.env, scenario{method: "GET"}, []scenario{
		{name: "the user's ways in", path: "/t/acme/me/identities", header: bearer(session), status: 200,
			check: func(t *testing.T, r response) {
				var phoneWay map[string]any
				for _, w := range r.list("identities") {
					if m, ok := w.(map[string]any); ok && m["kind"] == "phone" {
						phoneWay = m
					}
				}
				if phoneWay == nil {
					t.Fatalf("no phone among the ways in: %s", r.Raw)
				}
				used, ok := phoneWay["last_used_at"].(string)
				if at, err := time.Parse(time.RFC3339Nano, used); !ok || err != nil || at.Before(before) {
					t.Fatalf("the phone's last use %v: want the SMS login's time", phoneWay["last_used_at"])
				}
			}},
		{name: "the console's user", path: "/admin/api/tenants/acme/users/" + id, header: adminHeader(e.callers[own]), status: 200,
			check: func(t *testing.T, r response) {
				if r.str("user", "phone_last_login_at") == "" {
					t.Fatalf("the console's user: %s; want phone_last_login_at", r.Raw)
				}
			}},
	})
}
