package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// consoleCookie is the console's session cookie r sets; the test fails
// without one.
func consoleCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "miniauth_admin" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no console cookie in %v", r.Header["Set-Cookie"])
	return nil
}

// noCookie fails the test if r sets a cookie (a refused sign-in).
func noCookie(t *testing.T, r response) {
	t.Helper()
	if len(r.Header["Set-Cookie"]) > 0 {
		t.Fatalf("a refused sign-in set a cookie: %v", r.Header["Set-Cookie"])
	}
}

func TestAdminSignIn(t *testing.T) {
	e := newAdminEnv(t)
	right := `{"email":"` + acmeEmail + `","password":"` + adminPassword + `"}`
	// signedIn checks the session cookie and the answer of a sign-in.
	signedIn := func(secure bool) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			c := consoleCookie(t, r)
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin/api" || c.Secure != secure {
				t.Fatalf("cookie attributes: %+v", c)
			}
			if r.str("csrf_token") == "" || r.str("admin", "tenant") != "acme" {
				t.Fatalf("body: %s", r.Raw)
			}
			if strings.Contains(r.Raw, c.Value) {
				t.Fatal("the session cookie's value is in the body")
			}
		}
	}
	var failures []string
	failed := func(t *testing.T, r response) {
		noCookie(t, r)
		failures = append(failures, r.str("error", "message"))
	}
	runScenarios(t, e.env, scenario{path: "/admin/api/session"}, []scenario{
		{name: "right password", body: right, status: 200, audit: []string{"admin.signed_in"}, check: signedIn(false)},
		{name: "email in capitals", body: `{"email":" OPS@ACME.EXAMPLE ","password":"` + adminPassword + `"}`, status: 200,
			audit: []string{"admin.signed_in"}, check: signedIn(false)},
		{name: "behind HTTPS", body: right, header: []string{"X-Forwarded-Proto", "https"}, status: 200,
			audit: []string{"admin.signed_in"}, check: signedIn(true)},
		{name: "wrong password", body: `{"email":"` + acmeEmail + `","password":"wrong password!"}`, status: 401, code: "invalid_credentials",
			changes: true, audit: []string{"admin.signin_failed"}, check: failed},
		{name: "unknown email", body: `{"email":"nobody@acme.example","password":"wrong password!"}`, status: 401, code: "invalid_credentials",
			changes: true, audit: []string{"admin.signin_failed"}, check: failed},
		{name: "no password", body: `{"email":"` + acmeEmail + `"}`, status: 400, code: "invalid_request", check: noCookie},
		{name: "not JSON", body: `email=x`, status: 400, code: "invalid_request", check: noCookie},
	})
	// An unknown email and a wrong password read exactly the same.
	if len(failures) != 2 || failures[0] != failures[1] {
		t.Fatalf("failure messages differ: %q", failures)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND tenant_id = ?`, e.tenant.ID); n != 1 {
		t.Fatalf("the failure on acme's admin is not in acme's audit log (%d)", n)
	}
}

func TestAdminSessionLifecycle(t *testing.T) {
	e := newAdminEnv(t)
	first := e.callers[own]
	var second adminClient
	secondHeader := func(*env) []string { return adminHeader(second) }
	const session = "/admin/api/session"
	garbage := func(c string) scenario {
		return scenario{name: fmt.Sprintf("garbage cookie of %d bytes", len(c)), method: "GET", path: session, header: adminHeader(adminClient{cookie: c}),
			status: 401, code: "unauthenticated"}
	}
	victim := e.signIn(platformEmail, adminPassword) // deletes acme's admin at the end
	runStory(t, e.env, scenario{}, []scenario{
		// Signing in again with the old cookie gives a new session id and ends the old one.
		{name: "sign in again", path: session, body: `{"email":"` + acmeEmail + `","password":"` + adminPassword + `"}`,
			header: []string{"Cookie", "miniauth_admin=" + first.cookie}, status: 200, audit: []string{"admin.signed_in"},
			check: func(t *testing.T, r response) {
				second = adminClient{cookie: consoleCookie(t, r).Value, csrf: r.str("csrf_token")}
				if second.cookie == first.cookie || second.csrf == first.csrf {
					t.Fatal("the session id or CSRF token did not change at sign-in")
				}
			}},
		{name: "the old session", method: "GET", path: session, header: adminHeader(first), status: 401, code: "unauthenticated"},
		{name: "the new session", method: "GET", path: session, headerFn: secondHeader, status: 200, check: func(t *testing.T, r response) {
			if r.str("csrf_token") != second.csrf {
				t.Fatalf("GET session: %s", r.Raw)
			}
		}},
		// Sign-out needs the CSRF token too.
		{name: "sign out without CSRF", method: "DELETE", path: session,
			headerFn: func(*env) []string { return adminHeader(adminClient{cookie: second.cookie}) }, status: 403, code: "csrf_failed"},
		{name: "sign out", method: "DELETE", path: session, headerFn: secondHeader, status: 204, audit: []string{}},
		{name: "after sign-out", method: "GET", path: "/admin/api/tenants/acme", headerFn: secondHeader, status: 401, code: "unauthenticated"},
		{name: "sign out twice", method: "DELETE", path: session, headerFn: secondHeader, status: 401, code: "unauthenticated"},
		// Garbage cookies are simply signed out.
		garbage("x"), garbage(strings.Repeat("A", 43)), garbage(strings.Repeat("é", 300)),
		// A deleted admin's session dies with it.
		{name: "delete the admin", method: "DELETE", path: "/admin/api/tenants/acme/admins/" + acmeEmail,
			header: adminHeader(victim), status: 204, audit: []string{"admin.deleted"}},
		{name: "the deleted admin's session", method: "GET", path: session, header: adminHeader(e.callers[own]), status: 401, code: "unauthenticated"},
	})
}

// TestAdminLockout: after 5 failures an account must wait before the next
// try (429 with Retry-After), whether or not the account exists and even
// with the right password; every answer is the same for both.
func TestAdminLockout(t *testing.T) {
	e := newAdminEnv(t)
	var steps []scenario
	for _, email := range []string{globexEmail, "ghost@globex.example"} {
		for i := 1; i <= 5; i++ {
			steps = append(steps, scenario{name: fmt.Sprintf("%s failure %d", email, i),
				body: `{"email":"` + email + `","password":"wrong password!"}`, status: 401, code: "invalid_credentials",
				changes: true, audit: []string{"admin.signin_failed"}})
		}
		steps = append(steps, scenario{name: email + " after 5 failures", body: `{"email":"` + email + `","password":"` + adminPassword + `"}`,
			status: 429, code: "rate_limited", audit: []string{}, check: func(t *testing.T, r response) {
				if r.Header.Get("Retry-After") == "" {
					t.Fatalf("no Retry-After: %v", r.Header)
				}
			}})
	}
	// Another account from the same IP is not locked by them.
	steps = append(steps, scenario{name: "other account", body: `{"email":"` + acmeEmail + `","password":"` + adminPassword + `"}`,
		status: 200, audit: []string{"admin.signed_in"}})
	runStory(t, e.env, scenario{path: "/admin/api/session"}, steps)
}
