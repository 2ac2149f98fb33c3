package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// accountCases is the access table of the console-account routes: the
// platform admin's (everyone else 403), and every admin's own.
func accountCases() []adminCase {
	invited := func(e *adminEnv, who caller) string {
		if who != platform {
			return acmeEmail
		}
		email := fresh("inv") + "@acme.example"
		if r := e.as(e.callers[platform], "POST", "/admin/api/admins", `{"email":"`+email+`","role":"tenant","tenant":"acme"}`); r.Status != 201 {
			e.t.Fatalf("invite: %d %s", r.Status, r.Raw)
		}
		return email
	}
	onInvited := func(suffix string) func(*adminEnv, caller) string {
		return func(e *adminEnv, who caller) string { return "/admin/api/admins/" + invited(e, who) + suffix }
	}
	platformOnly := [nCallers]int{200, 403, 403, 401, 403}
	return []adminCase{
		{"list admins", "GET", fixed("/admin/api/admins"), nil, [nCallers]int{200, 403, 403, 401, 200}},
		{"invite admin", "POST", fixed("/admin/api/admins"), func(*adminEnv, caller) string {
			return `{"email":"` + fresh("new") + `@acme.example","role":"tenant","tenant":"acme"}`
		}, [nCallers]int{201, 403, 403, 401, 403}},
		{"reissue invite", "POST", onInvited("/invite"), nil, [nCallers]int{201, 403, 403, 401, 403}},
		{"disable admin", "POST", onInvited("/disable"), nil, platformOnly},
		{"enable admin", "POST", onInvited("/enable"), nil, platformOnly},
		{"remove admin", "DELETE", onInvited(""), nil, [nCallers]int{204, 403, 403, 401, 403}},
		{"platform settings", "GET", fixed("/admin/api/platform/settings"), nil, [nCallers]int{200, 403, 403, 401, 200}},
		{"change platform settings", "PATCH", fixed("/admin/api/platform/settings"), func(*adminEnv, caller) string {
			return `{"require_mfa_for_platform_admins":false}`
		}, platformOnly},
		{"own account", "GET", fixed("/admin/api/account"), nil, [nCallers]int{200, 200, 200, 401, 200}},
		{"begin MFA set-up", "POST", fixed("/admin/api/account/mfa/enrol"), nil, [nCallers]int{200, 200, 200, 401, 403}},
	}
}

// TestAdminAccountsAccess: every console-account route by every kind of
// caller; a refused call changes nothing.
func TestAdminAccountsAccess(t *testing.T) {
	runAccessTable(t, newAdminEnv(t), accountCases())
}

// TestAdminInvite: an invite link shown once, looked up and accepted once;
// the invited admin then signs in with the password it chose.
func TestAdminInvite(t *testing.T) {
	e := newAdminEnv(t)
	p := e.callers[platform]
	hdr := adminHeader(p)
	const newEmail = "new@acme.example"
	const newPassword = "a much longer passphrase"
	var token string
	runScenarios(t, e.env, scenario{path: "/admin/api/admins", header: hdr}, []scenario{
		{name: "no role", body: `{"email":"x@acme.example"}`, status: 400, code: "invalid_request"},
		{name: "tenant role, no tenant", body: `{"email":"x@acme.example","role":"tenant"}`, status: 400, code: "invalid_request"},
		{name: "platform role with a tenant", body: `{"email":"x@acme.example","role":"platform","tenant":"acme"}`, status: 400, code: "invalid_request"},
		{name: "unknown role", body: `{"email":"x@acme.example","role":"owner"}`, status: 400, code: "invalid_request"},
		{name: "no such tenant", body: `{"email":"x@acme.example","role":"tenant","tenant":"nope"}`, status: 404, code: "tenant_not_found"},
		{name: "email taken", body: `{"email":"OPS@acme.example","role":"tenant","tenant":"acme"}`, status: 409, code: "conflict"},
		{name: "bad email", body: `{"email":"nobody","role":"platform"}`, status: 400, code: "invalid_request"},
		{name: "invite", body: `{"email":" New@Acme.Example ","role":"tenant","tenant":"acme"}`, status: 201,
			audit: []string{"admin.invited"}, check: func(t *testing.T, r response) {
				token = r.str("invite", "token")
				if !strings.HasSuffix(r.str("invite", "url"), "/console/#/invite/"+token) || r.str("admin", "email") != newEmail ||
					r.str("admin", "status") != "invited" || r.str("admin", "tenant") != "acme" {
					t.Fatalf("invite: %s", r.Raw)
				}
			}},
		{name: "listed as invited", method: "GET", status: 200, check: func(t *testing.T, r response) {
			for _, x := range r.list("admins") {
				if a := get[map[string]any](t, x); a["email"] == newEmail {
					if a["status"] != "invited" || a["mfa"] != false || a["last_login_at"] != nil {
						t.Fatalf("listed: %v", a)
					}
					return
				}
			}
			t.Fatalf("not listed: %s", r.Raw)
		}},
	})
	if token == "" || strings.Contains(e.logs.String(), token) {
		t.Fatal("no invite token, or the invite token is in the log")
	}
	tokenBody := func(rest string) func(*env) string {
		return func(*env) string { return `{"token":"` + token + `"` + rest + `}` }
	}
	runStory(t, e.env, scenario{}, []scenario{
		{name: "sign-in before accepting", path: "/admin/api/session", body: signInBody(newEmail, ""), status: 400, code: "invalid_request"},
		{name: "lookup", path: "/admin/api/invites/lookup", bodyFn: tokenBody(""), status: 200,
			check: func(t *testing.T, r response) {
				if r.str("email") != newEmail || r.str("role") != "tenant" || r.str("tenant") != "acme" {
					t.Fatalf("lookup: %s", r.Raw)
				}
			}},
		{name: "lookup, made-up token", path: "/admin/api/invites/lookup", body: `{"token":"` + strings.Repeat("A", 43) + `"}`, status: 400, code: "invalid_invite"},
		{name: "accept, short password", path: "/admin/api/invites/accept", bodyFn: tokenBody(`,"password":"short"`),
			status: 400, code: "invalid_request"},
		{name: "accept, no password", path: "/admin/api/invites/accept", bodyFn: tokenBody(""),
			status: 400, code: "invalid_request"},
		{name: "accept", path: "/admin/api/invites/accept", bodyFn: func(*env) string { return fmt.Sprintf(`{"token":%q,"password":%q}`, token, newPassword) },
			status: 200, audit: []string{"admin.invite_accepted"}, check: func(t *testing.T, r response) {
				if r.str("admin", "email") != newEmail {
					t.Fatalf("accept: %s", r.Raw)
				}
			}},
		{name: "accept twice", path: "/admin/api/invites/accept", bodyFn: func(*env) string { return fmt.Sprintf(`{"token":%q,"password":"yet another passphrase"}`, token) },
			status: 400, code: "invalid_invite"},
		{name: "lookup after use", path: "/admin/api/invites/lookup", bodyFn: tokenBody(""), status: 400, code: "invalid_invite"},
		{name: "reissue for an active admin", path: "/admin/api/admins/" + newEmail + "/invite", header: hdr, status: 404, code: "not_found"},
		{name: "sign-in with the chosen password", path: "/admin/api/session", body: signInBody(newEmail, newPassword), status: 200,
			audit: []string{"admin.signed_in"}},
		{name: "the second accept's password", path: "/admin/api/session", body: signInBody(newEmail, "yet another passphrase"),
			status: 401, code: "invalid_credentials", changes: true, audit: []string{"admin.signin_failed"}},
	})
	for _, action := range []string{"admin.invited", "admin.invite_accepted"} {
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND target_id = ? AND tenant_id = ?`, action, newEmail, e.tenant.ID); n != 1 {
			t.Fatalf("%s audited %d times in acme's log, want 1", action, n)
		}
	}
}

// TestAdminDisableRemove: a disabled admin's sessions end at once and it
// cannot sign in until enabled; a removed one is gone; the last active
// platform admin stays.
func TestAdminDisableRemove(t *testing.T) {
	e := newAdminEnv(t)
	p := e.callers[platform]
	hdr := adminHeader(p)
	victim := e.callers[own]
	signIn := func(name, email string, status int, code string, audit ...string) scenario {
		return scenario{name: name, path: "/admin/api/session", header: []string{}, body: signInBody(email, adminPassword),
			status: status, code: code, changes: status >= 400, audit: append([]string{}, audit...)}
	}
	runStory(t, e.env, scenario{header: hdr}, []scenario{
		{name: "disable", path: "/admin/api/admins/OPS@acme.example/disable", status: 200, audit: []string{"admin.disabled"},
			check: func(t *testing.T, r response) {
				if r.str("admin", "status") != "disabled" || r.str("admin", "email") != acmeEmail {
					t.Fatalf("disable: %s", r.Raw)
				}
			}},
		{name: "the disabled admin's session", method: "GET", path: "/admin/api/session", header: adminHeader(victim), status: 401, code: "unauthenticated"},
		signIn("a disabled admin signs in", acmeEmail, 401, "invalid_credentials", "admin.signin_failed"),
		{name: "enable", path: "/admin/api/admins/" + acmeEmail + "/enable", status: 200, audit: []string{"admin.enabled"},
			check: func(t *testing.T, r response) {
				if r.str("admin", "status") != "active" {
					t.Fatalf("enable: %s", r.Raw)
				}
			}},
		signIn("the enabled admin signs in", acmeEmail, 200, "", "admin.signed_in"),
		{name: "disable nobody", path: "/admin/api/admins/ghost@acme.example/disable", status: 404, code: "not_found"},
		{name: "disable the last platform admin", path: "/admin/api/admins/" + platformEmail + "/disable", status: 409, code: "last_platform_admin"},
		{name: "remove the last platform admin", method: "DELETE", path: "/admin/api/admins/" + platformEmail, status: 409, code: "last_platform_admin"},
		{name: "reset own MFA here", method: "DELETE", path: "/admin/api/admins/" + platformEmail + "/mfa", status: 400, code: "invalid_request"},
		{name: "reset MFA that is off", method: "DELETE", path: "/admin/api/admins/" + acmeEmail + "/mfa", status: 409, code: "mfa_not_enabled"},
		{name: "remove", method: "DELETE", path: "/admin/api/admins/" + globexEmail, status: 204, audit: []string{"admin.deleted"}},
		{name: "the removed admin's session", method: "GET", path: "/admin/api/session", header: adminHeader(e.callers[other]), status: 401, code: "unauthenticated"},
		signIn("a removed admin signs in", globexEmail, 401, "invalid_credentials", "admin.signin_failed"),
	})
	for action, target := range map[string]string{"admin.disabled": acmeEmail, "admin.enabled": acmeEmail, "admin.deleted": globexEmail} {
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND target_id = ?`, action, target); n != 1 {
			t.Fatalf("%s of %s audited %d times, want 1", action, target, n)
		}
	}
	// A platform admin turns off a tenant admin's MFA (a lost phone): the
	// password alone signs in again.
	e.enrolMFA(e.signIn(acmeEmail, adminPassword))
	runStory(t, e.env, scenario{header: hdr}, []scenario{
		{name: "reset MFA", method: "DELETE", path: "/admin/api/admins/" + acmeEmail + "/mfa", status: 204, audit: []string{"admin.mfa_disabled"}},
		signIn("the password alone", acmeEmail, 200, "", "admin.signed_in"),
	})
}

// TestAdminChangePassword: the current password is needed (a wrong one
// counts in the lockout), the policy applies, the admin's other sessions
// end and this one stays.
func TestAdminChangePassword(t *testing.T) {
	e := newAdminEnv(t)
	c, elsewhere := e.callers[own], e.signIn(acmeEmail, adminPassword)
	hdr := adminHeader(c)
	const next = "an even longer passphrase"
	const path = "/admin/api/account/password"
	runStory(t, e.env, scenario{header: hdr}, []scenario{
		{name: "missing", path: path, body: `{"new_password":"` + next + `"}`, status: 400, code: "invalid_request"},
		{name: "wrong current", path: path, body: `{"current_password":"not the password","new_password":"` + next + `"}`, status: 403, code: "wrong_password"},
		{name: "too short", path: path, body: `{"current_password":"` + adminPassword + `","new_password":"short"}`, status: 400, code: "invalid_request"},
		{name: "the email", path: path, body: `{"current_password":"` + adminPassword + `","new_password":"OPS@ACME.EXAMPLE"}`, status: 400, code: "invalid_request"},
		{name: "no CSRF", path: path, header: hdr[:2], body: `{"current_password":"` + adminPassword + `","new_password":"` + next + `"}`, status: 403, code: "csrf_failed"},
		{name: "change", path: path, body: `{"current_password":"` + adminPassword + `","new_password":"` + next + `"}`, status: 204,
			audit: []string{"admin.password_changed"}},
		{name: "the session it was changed from", method: "GET", path: "/admin/api/session", status: 200},
		{name: "another session of the admin", method: "GET", path: "/admin/api/session", header: adminHeader(elsewhere), status: 401, code: "unauthenticated"},
		{name: "the old password", path: "/admin/api/session", header: []string{}, body: signInBody(acmeEmail, adminPassword),
			status: 401, code: "invalid_credentials", changes: true, audit: []string{"admin.signin_failed"}},
		{name: "the new password", path: "/admin/api/session", header: []string{}, body: signInBody(acmeEmail, next), status: 200,
			audit: []string{"admin.signed_in"}},
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.password_changed' AND target_id = ?`, acmeEmail); n != 1 {
		t.Fatalf("%d password changes audited, want 1", n)
	}
}
