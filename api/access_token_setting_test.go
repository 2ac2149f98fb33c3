package api_test

import (
	"testing"
)

// A tenant whose backends do not need an access token in every login's
// answer turns access_token_on_login off (issue 18): the login then signs
// nothing, and POST /token gives an access token when one is needed.
func TestAccessTokenOnLoginSetting(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]

	r := e.as(own, "GET", "/admin/api/tenants/acme", "")
	if r.at("tenant", "settings", "access_token_on_login") != true {
		t.Fatalf("a new tenant's settings: %s; want access_token_on_login true", r.Raw)
	}
	r = e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`)
	if r.Status != 200 || r.str("access_token") == "" || r.Body["access_token_expires_in"] == nil {
		t.Fatalf("login with the default settings: %d %s; want an access token", r.Status, r.Raw)
	}

	if r := e.as(own, "PATCH", "/admin/api/tenants/acme", `{"settings":{"access_token_on_login":false}}`); r.Status != 200 {
		t.Fatalf("PATCH: %d %s", r.Status, r.Raw)
	}
	r = e.as(own, "GET", "/admin/api/tenants/acme", "")
	if r.at("tenant", "settings", "access_token_on_login") != false {
		t.Fatalf("settings after the PATCH: %s", r.Raw)
	}
	for _, user := range []string{"alice", "bob"} { // returning, new
		r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`)
		if r.Status != 200 || r.str("session") == "" {
			t.Fatalf("login %s: %d %s", user, r.Status, r.Raw)
		}
		if _, ok := r.Body["access_token"]; ok {
			t.Fatalf("login %s with access_token_on_login off: %s; want no access token", user, r.Raw)
		}
		tok := e.do("POST", "/t/acme/token", "", bearer(r.str("session"))...)
		if tok.Status != 200 || tok.str("access_token") == "" {
			t.Fatalf("POST /token: %d %s", tok.Status, tok.Raw)
		}
	}

	// A setting of the wrong type changes nothing.
	if r := e.as(own, "PATCH", "/admin/api/tenants/acme", `{"settings":{"access_token_on_login":"yes"}}`); r.Status != 400 {
		t.Fatalf("PATCH with a string: %d %s; want 400", r.Status, r.Raw)
	}
	r = e.as(own, "GET", "/admin/api/tenants/acme", "")
	if r.at("tenant", "settings", "access_token_on_login") != false {
		t.Fatalf("settings after a refused PATCH: %s", r.Raw)
	}
}
