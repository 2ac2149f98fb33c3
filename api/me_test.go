package api_test

import (
	"context"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sessions"
)

func TestMe(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	bob := e.login("bob")

	// A second tenant with its own users: its tokens mean nothing to acme.
	other, err := e.reg.Create(context.Background(), tenants.NewTenant{Slug: "globex", Name: "Globex",
		AppID: otherAppID, Secret: "other-app-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.wx.IssueCode(otherAppID, "alice")
	r := e.do("POST", "/t/globex/login", `{"code":"`+c+`"}`)
	if r.Status != 200 {
		t.Fatalf("globex login: %d %s", r.Status, r.Raw)
	}
	globexToken := r.str("session")
	if r.obj("user")["is_new"] != true {
		t.Fatal("the same WeChat user in another tenant must be another user")
	}
	_ = other

	runScenarios(t, e, scenario{method: "GET", path: "/t/acme/me"}, []scenario{
		{name: "valid", header: bearer(alice), status: 200},
		{name: "no header", header: []string{}, status: 401, code: "invalid_session"},
		{name: "not bearer", header: []string{"Authorization", "Basic " + alice}, status: 401, code: "invalid_session"},
		{name: "forged token", header: bearer(sessions.TokenPrefix + strings.Repeat("A", 43)), status: 401, code: "invalid_session"},
		{name: "garbage token", header: bearer("'; DROP TABLE users; --"), status: 401, code: "invalid_session"},
		{name: "oversized token", header: bearer(strings.Repeat("x", 4000)), status: 401, code: "invalid_session"},
		{name: "token of another tenant", header: bearer(globexToken), status: 401, code: "invalid_session"},
	})
	r = e.do("GET", "/t/acme/me", "", bearer(alice)...)
	me := r.obj("user")
	if _, has := me["is_new"]; has || me["id"] == "" {
		t.Fatalf("/me body = %s", r.Raw)
	}
	if r2 := e.do("GET", "/t/acme/me", "", bearer(bob)...); r2.obj("user")["id"] == me["id"] {
		t.Fatal("two users share an id")
	}
	if r := e.do("GET", "/t/globex/me", "", bearer(globexToken)...); r.Status != 200 {
		t.Fatalf("globex token on globex: %d", r.Status)
	}
}

func TestUpdateMe(t *testing.T) {
	e := newEnv(t)
	token := e.login("alice")
	nickname := func(want string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			var nick string
			if err := e.db.Get(&nick, "SELECT nickname FROM users"); err != nil || nick != want {
				t.Fatalf("nickname in MySQL = %q (%v), want %q", nick, err, want)
			}
		}
	}
	runScenarios(t, e, scenario{method: "PATCH", path: "/t/acme/me", header: bearer(token)}, []scenario{
		{name: "set nickname and avatar", body: `{"nickname":"小明","avatar_url":"https://example.com/a.png"}`, status: 200, check: nickname("小明")},
		{name: "empty patch changes nothing", body: `{}`, status: 200, check: nickname("小明")},
		{name: "nickname too long", body: `{"nickname":"` + strings.Repeat("名", 65) + `"}`, status: 400, code: "invalid_request", check: nickname("小明")},
		{name: "avatar not http", body: `{"avatar_url":"javascript:alert(1)"}`, status: 400, code: "invalid_request", check: nickname("小明")},
		{name: "broken JSON", body: `{"nickname":`, status: 400, code: "invalid_request", check: nickname("小明")},
		{name: "wrong type", body: `{"nickname":7}`, status: 400, code: "invalid_request", check: nickname("小明")},
		{name: "clear nickname", body: `{"nickname":""}`, status: 200, check: nickname("")},
	})
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"x"}`); r.Status != 401 {
		t.Fatalf("PATCH without a session: %d", r.Status)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.login("alice"), e.login("alice")
	before := e.sessionKeys()
	if r := e.do("POST", "/t/acme/logout", "", bearer(a1)...); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Raw)
	}
	if got := e.sessionKeys(); got != before-1 {
		t.Fatalf("session records %d → %d, want one fewer", before, got)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(a1)...); r.Status != 401 {
		t.Fatalf("/me after logout: %d", r.Status)
	}
	if r := e.do("POST", "/t/acme/logout", "", bearer(a1)...); r.Status != 401 {
		t.Fatalf("second logout: %d", r.Status)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(a2)...); r.Status != 200 {
		t.Fatalf("logout ended the user's other session: %d", r.Status)
	}
}

func TestBannedAndRevoked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.login("alice"), e.login("bob")
	// Banned in MySQL alone (no new session epoch, sessions left in Redis):
	// the status check on its own must refuse the session.
	var aliceID int64
	if err := e.db.Get(&aliceID, "SELECT user_id FROM identities WHERE openid = ?", e.wx.OpenID(demoAppID, "alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec("UPDATE users SET status = 'banned' WHERE id = ?", aliceID); err != nil {
		t.Fatal(err)
	}
	e.users.Invalidate(ctx, e.tenant.ID, aliceID) // what every change made through the store does
	if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("/me of a banned user: %d %s", r.Status, r.Raw)
	}
	before := e.state()
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("login of a banned user: %d %s", r.Status, r.Raw)
	}
	if after := e.state(); after != before {
		t.Fatalf("a banned login changed state: %+v → %+v", before, after)
	}
	// Revoking every session of the tenant is one epoch bump in MySQL.
	if err := e.reg.RevokeAllSessions(ctx, e.tenant.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
	if r := e.do("GET", "/t/acme/me", "", bearer(bob)...); r.Status != 401 {
		t.Fatalf("session survived revoke-all: %d", r.Status)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(e.login("bob"))...); r.Status != 200 {
		t.Fatalf("a new login after revoke-all: %d", r.Status)
	}
}
