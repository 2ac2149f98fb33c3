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

	ways := e.do("GET", "/t/acme/me/identities", "", bearer(session)...)
	if ways.Status != 200 {
		t.Fatalf("GET /me/identities: %d %s", ways.Status, ways.Raw)
	}
	var phoneWay map[string]any
	for _, w := range ways.list("identities") {
		if m, ok := w.(map[string]any); ok && m["kind"] == "phone" {
			phoneWay = m
		}
	}
	if phoneWay == nil {
		t.Fatalf("no phone among the ways in: %s", ways.Raw)
	}
	used, ok := phoneWay["last_used_at"].(string)
	if at, err := time.Parse(time.RFC3339Nano, used); !ok || err != nil || at.Before(before) {
		t.Fatalf("the phone's last use %v: want the SMS login's time", phoneWay["last_used_at"])
	}

	u := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/users/"+id, "")
	if u.Status != 200 || u.str("user", "phone_last_login_at") == "" {
		t.Fatalf("the console's user: %d %s; want phone_last_login_at", u.Status, u.Raw)
	}
}
