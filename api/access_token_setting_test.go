package api_test

import (
	"testing"
)

// access_token_on_login (issue 18): on, every login's answer carries an
// access token; off, the login signs nothing and POST /token gives an
// access token when one is needed. New tenants start with it off; acme,
// the test tenant, has it on, as a tenant that turned it on.
func TestAccessTokenOnLoginSetting(t *testing.T) {
	e := newAdminEnv(t)
	const tenant = "/admin/api/tenants/acme"
	setting := func(want bool) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if r.at("tenant", "settings", "access_token_on_login") != want {
				t.Fatalf("settings: %s; want access_token_on_login %v", r.Raw, want)
			}
		}
	}
	login := func(user string, d state, session *string) scenario {
		return scenario{name: "login " + user, method: "POST", path: "/t/acme/login", header: []string{},
			bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` }, status: 200, delta: d,
			check: func(t *testing.T, r response) {
				if *session = r.str("session"); *session == "" {
					t.Fatalf("login %s: %s", user, r.Raw)
				}
				if _, ok := r.Body["access_token"]; ok {
					t.Fatalf("login %s with access_token_on_login off: %s; want no access token", user, r.Raw)
				}
			}}
	}
	token := func(user string, session *string) scenario {
		return scenario{name: "POST /token for " + user, method: "POST", path: "/t/acme/token", headerFn: func(*env) []string { return bearer(*session) },
			status: 200, check: func(t *testing.T, r response) {
				if r.str("access_token") == "" {
					t.Fatalf("POST /token: %s", r.Raw)
				}
			}}
	}
	var alice, bob string
	runStory(t, e.env, scenario{method: "GET", path: tenant, header: adminHeader(e.callers[own])}, []scenario{
		{name: "a tenant made now starts with it off", method: "POST", path: "/admin/api/tenants", header: adminHeader(e.callers[platform]),
			body:   `{"slug":"newco","name":"NewCo","appid":"wxnewco00000001","secret":"newco-app-secret-0123456789"}`,
			status: 201, changes: true, audit: []string{"tenant.created"}, check: setting(false)},
		{name: "acme's settings", status: 200, check: setting(true)},
		{name: "login with it on", method: "POST", path: "/t/acme/login", header: []string{},
			bodyFn: func(e *env) string { return `{"code":"` + e.code("alice") + `"}` }, status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				if r.str("access_token") == "" || r.Body["access_token_expires_in"] == nil {
					t.Fatalf("login with access_token_on_login on: %s; want an access token", r.Raw)
				}
			}},
		{name: "turn it off", method: "PATCH", body: `{"settings":{"access_token_on_login":false}}`, status: 200, audit: []string{"tenant.updated"}},
		{name: "settings after the PATCH", status: 200, check: setting(false)},
		login("alice", state{0, 0, 1}, &alice), // returning
		token("alice", &alice),
		login("bob", state{1, 1, 1}, &bob), // new
		token("bob", &bob),
		// A setting of the wrong type changes nothing.
		{name: "PATCH with a string", method: "PATCH", body: `{"settings":{"access_token_on_login":"yes"}}`, status: 400},
		{name: "settings after a refused PATCH", status: 200, check: setting(false)},
	})
}
