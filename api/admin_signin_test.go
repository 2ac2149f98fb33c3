package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAdminSignIn(t *testing.T) {
	e := newAdminEnv(t)
	scenarios := []struct {
		name   string
		body   string
		header []string
		status int
		code   string
		secure bool
	}{
		{"right password", `{"email":"` + acmeEmail + `","password":"` + adminPassword + `"}`, nil, 200, "", false},
		{"email in capitals", `{"email":" OPS@ACME.EXAMPLE ","password":"` + adminPassword + `"}`, nil, 200, "", false},
		{"behind HTTPS", `{"email":"` + acmeEmail + `","password":"` + adminPassword + `"}`, []string{"X-Forwarded-Proto", "https"}, 200, "", true},
		{"wrong password", `{"email":"` + acmeEmail + `","password":"wrong password!"}`, nil, 401, "invalid_credentials", false},
		{"unknown email", `{"email":"nobody@acme.example","password":"wrong password!"}`, nil, 401, "invalid_credentials", false},
		{"no password", `{"email":"` + acmeEmail + `"}`, nil, 400, "invalid_request", false},
		{"not JSON", `email=x`, nil, 400, "invalid_request", false},
	}
	var failures []string
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			r := e.do("POST", "/admin/api/session", sc.body, sc.header...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("status %d code %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if r.Status == 401 {
				failures = append(failures, r.str("error", "message"))
			}
			if r.Status != 200 {
				if len(r.Header["Set-Cookie"]) > 0 {
					t.Fatalf("a refused sign-in set a cookie: %v", r.Header["Set-Cookie"])
				}
				return
			}
			c := (&http.Response{Header: r.Header}).Cookies()[0]
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin/api" || c.Secure != sc.secure {
				t.Fatalf("cookie attributes: %+v", c)
			}
			if r.Body["csrf_token"] == "" || r.obj("admin")["tenant"] != "acme" {
				t.Fatalf("body: %s", r.Raw)
			}
			if strings.Contains(r.Raw, c.Value) {
				t.Fatal("the session cookie's value is in the body")
			}
		})
	}
	e.t = t
	// An unknown email and a wrong password read exactly the same.
	if len(failures) != 2 || failures[0] != failures[1] {
		t.Fatalf("failure messages differ: %q", failures)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed'`); n != 2 {
		t.Fatalf("%d sign-in failures audited, want 2", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND tenant_id = ?`, e.tenant.ID); n != 1 {
		t.Fatalf("the failure on acme's admin is not in acme's audit log (%d)", n)
	}
}

func TestAdminSessionLifecycle(t *testing.T) {
	e := newAdminEnv(t)
	first := e.callers[own]
	// Signing in again with the old cookie gives a new session id and ends the old one.
	r := e.do("POST", "/admin/api/session", `{"email":"`+acmeEmail+`","password":"`+adminPassword+`"}`,
		"Cookie", "miniauth_admin="+first.cookie)
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
	}
	second := adminClient{cookie: sessionCookie(t, r), csrf: r.str("csrf_token")}
	if second.cookie == first.cookie || second.csrf == first.csrf {
		t.Fatal("the session id or CSRF token did not change at sign-in")
	}
	if r := e.as(first, "GET", "/admin/api/session", ""); r.Status != 401 || r.errCode() != "unauthenticated" {
		t.Fatalf("old session after a new sign-in: %d %s", r.Status, r.Raw)
	}
	if r := e.as(second, "GET", "/admin/api/session", ""); r.Status != 200 || r.Body["csrf_token"] != second.csrf {
		t.Fatalf("GET session: %d %s", r.Status, r.Raw)
	}
	// Sign-out needs the CSRF token too.
	if r := e.as(adminClient{cookie: second.cookie}, "DELETE", "/admin/api/session", ""); r.Status != 403 || r.errCode() != "csrf_failed" {
		t.Fatalf("sign-out without CSRF: %d %s", r.Status, r.Raw)
	}
	if r := e.as(second, "DELETE", "/admin/api/session", ""); r.Status != 204 {
		t.Fatalf("sign-out: %d %s", r.Status, r.Raw)
	}
	if r := e.as(second, "GET", "/admin/api/tenants/acme", ""); r.Status != 401 {
		t.Fatalf("after sign-out: %d %s", r.Status, r.Raw)
	}
	if r := e.as(second, "DELETE", "/admin/api/session", ""); r.Status != 401 {
		t.Fatalf("signing out twice: %d %s", r.Status, r.Raw)
	}
	// Garbage cookies are simply signed out.
	for _, c := range []string{"x", strings.Repeat("A", 43), strings.Repeat("é", 300)} {
		if r := e.as(adminClient{cookie: c}, "GET", "/admin/api/session", ""); r.Status != 401 {
			t.Fatalf("cookie %q: %d", c, r.Status)
		}
	}
	// A deleted admin's session dies with it.
	victim := e.signIn(platformEmail, adminPassword)
	if r := e.as(victim, "DELETE", "/admin/api/tenants/acme/admins/"+acmeEmail, ""); r.Status != 204 {
		t.Fatalf("delete admin: %d %s", r.Status, r.Raw)
	}
	if r := e.as(e.callers[own], "GET", "/admin/api/session", ""); r.Status != 401 {
		t.Fatalf("deleted admin's session: %d", r.Status)
	}
}

// TestAdminLockout: after 5 failures an account must wait before the next
// try (429 with Retry-After), whether or not the account exists and even
// with the right password; every answer is the same for both.
func TestAdminLockout(t *testing.T) {
	e := newAdminEnv(t)
	for _, email := range []string{globexEmail, "ghost@globex.example"} {
		for i := 1; i <= 5; i++ {
			r := e.do("POST", "/admin/api/session", `{"email":"`+email+`","password":"wrong password!"}`)
			if r.Status != 401 {
				t.Fatalf("%s failure %d: %d %s", email, i, r.Status, r.Raw)
			}
		}
		r := e.do("POST", "/admin/api/session", `{"email":"`+email+`","password":"`+adminPassword+`"}`)
		if r.Status != 429 || r.errCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s after 5 failures: %d %v %s", email, r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
	}
	// Another account from the same IP is not locked by them.
	if r := e.do("POST", "/admin/api/session", `{"email":"`+acmeEmail+`","password":"`+adminPassword+`"}`); r.Status != 200 {
		t.Fatalf("other account: %d %s", r.Status, r.Raw)
	}
}
