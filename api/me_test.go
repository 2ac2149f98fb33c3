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
	if _, err := e.reg.Create(context.Background(), tenants.NewTenant{Slug: "globex", Name: "Globex",
		AppID: otherAppID, Secret: "other-app-secret-0123456789"}); err != nil {
		t.Fatal(err)
	}
	var globexToken, aliceID string
	runStory(t, e, scenario{}, []scenario{
		{name: "globex login", path: "/t/globex/login", bodyFn: func(e *env) string {
			c, _ := e.wx.IssueCode(otherAppID, "alice")
			return `{"code":"` + c + `"}`
		}, status: 200, delta: state{1, 1, 1}, check: func(t *testing.T, r response) {
			globexToken = r.str("session")
			if r.obj("user")["is_new"] != true {
				t.Fatal("the same WeChat user in another tenant must be another user")
			}
		}},
	})

	runScenarios(t, e, scenario{method: "GET", path: "/t/acme/me"}, []scenario{
		{name: "valid", header: bearer(alice), status: 200},
		{name: "no header", header: []string{}, status: 401, code: "invalid_session"},
		{name: "not bearer", header: []string{"Authorization", "Basic " + alice}, status: 401, code: "invalid_session"},
		{name: "forged token", header: bearer(sessions.TokenPrefix + strings.Repeat("A", 43)), status: 401, code: "invalid_session"},
		{name: "garbage token", header: bearer("'; DROP TABLE users; --"), status: 401, code: "invalid_session"},
		{name: "oversized token", header: bearer(strings.Repeat("x", 4000)), status: 401, code: "invalid_session"},
		{name: "token of another tenant", headerFn: func(*env) []string { return bearer(globexToken) }, status: 401, code: "invalid_session"},
	})
	runStory(t, e, scenario{method: "GET", path: "/t/acme/me"}, []scenario{
		{name: "the /me body", header: bearer(alice), status: 200, check: func(t *testing.T, r response) {
			me := r.obj("user")
			if _, has := me["is_new"]; has || me["id"] == "" {
				t.Fatalf("/me body = %s", r.Raw)
			}
			aliceID = r.str("user", "id")
		}},
		{name: "another user, another id", header: bearer(bob), status: 200, check: func(t *testing.T, r response) {
			if r.str("user", "id") == aliceID {
				t.Fatal("two users share an id")
			}
		}},
		{name: "globex token on globex", path: "/t/globex/me", headerFn: func(*env) []string { return bearer(globexToken) }, status: 200},
	})
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
		{name: "without a session", header: []string{}, body: `{"nickname":"x"}`, status: 401, check: nickname("")},
	})
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.login("alice"), e.login("alice")
	runStory(t, e, scenario{method: "GET", path: "/t/acme/me", header: bearer(a1)}, []scenario{
		{name: "logout ends one session record", method: "POST", path: "/t/acme/logout", status: 204, delta: state{sessions: -1}},
		{name: "/me after logout", status: 401},
		{name: "second logout", method: "POST", path: "/t/acme/logout", status: 401},
		{name: "the user's other session lives on", header: bearer(a2), status: 200},
	})
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
	// A refusal changes nothing (the runner's delta and fingerprint).
	runStory(t, e, scenario{method: "GET", path: "/t/acme/me"}, []scenario{
		{name: "/me of a banned user", header: bearer(alice), status: 403, code: "user_banned"},
		{name: "login of a banned user", method: "POST", path: "/t/acme/login",
			bodyFn: func(e *env) string { return `{"code":"` + e.code("alice") + `"}` }, status: 403, code: "user_banned"},
		// Revoking every session of the tenant is one epoch bump in MySQL.
		{name: "a session after revoke-all", header: bearer(bob), before: func(e *env) {
			if err := e.reg.RevokeAllSessions(ctx, e.tenant.ID, audit.CLI); err != nil {
				e.t.Fatal(err)
			}
			e.reg.Invalidate(ctx, "acme")
		}, status: 401},
		{name: "a new login after revoke-all", headerFn: func(e *env) []string { return bearer(e.login("bob")) }, status: 200},
	})
}
