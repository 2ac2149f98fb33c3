package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"miniauth/tenants/sessions"
)

// meRow is a row of GET /t/acme/me with the session *token holds when the
// row runs.
func meRow(name string, token *string, status int, code string) scenario {
	return scenario{name: name, method: "GET", path: "/t/acme/me", headerFn: func(*env) []string { return bearer(*token) },
		status: status, code: code}
}

// acmeLoginRow is a row of a login to acme by user, keeping the session in
// *token (when not nil).
func acmeLoginRow(name, user string, token *string, status int, code string, delta state) scenario {
	return scenario{name: name, path: "/t/acme/login", header: []string{}, bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` },
		status: status, code: code, delta: delta, check: func(t *testing.T, r response) {
			if token != nil {
				*token = r.str("session")
			}
		}}
}

func TestAdminBanAndDelete(t *testing.T) {
	e := newAdminEnv(t)
	token := e.login("alice")
	e.login("alice") // a second session
	bob := e.login("bob")
	var alice string // alice's public id
	upath := func(suffix string) func(*env) string {
		return func(*env) string { return "/admin/api/tenants/acme/users/" + alice + suffix }
	}
	openid := e.wx.OpenID(demoAppID, "alice")
	whoIsAlice := meRow("alice's id", &token, 200, "")
	whoIsAlice.check = func(t *testing.T, r response) { alice = r.str("user", "id") }
	newAlice := acmeLoginRow("login after delete", "alice", nil, 200, "", state{users: 1, identities: 1, sessions: 1})
	newAlice.check = func(t *testing.T, r response) {
		if r.obj("user")["is_new"] != true || r.str("user", "id") == alice {
			t.Fatalf("login after delete: %s", r.Raw)
		}
	}
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		whoIsAlice,
		{name: "user detail", method: "GET", pathFn: upath(""), status: 200, check: func(t *testing.T, r response) {
			if len(r.list("sessions")) != 2 || len(r.list("identities")) != 1 {
				t.Fatalf("user detail: %s", r.Raw)
			}
			if strings.Contains(r.Raw, token) {
				t.Fatal("a session token is in the admin API's answer")
			}
		}},
		// Ban: the sessions die at once, the next login is refused.
		{name: "ban", pathFn: upath("/ban"), status: 200, delta: state{sessions: -2}, audit: []string{"user.banned"},
			check: func(t *testing.T, r response) {
				if r.str("user", "status") != "banned" {
					t.Fatalf("ban: %s", r.Raw)
				}
			}},
		meRow("a banned user's session", &token, 401, "invalid_session"),
		acmeLoginRow("a banned user's login", "alice", nil, 403, "user_banned", state{}),
		meRow("banning alice did not hit bob", &bob, 200, ""),
		{name: "unban", pathFn: upath("/unban"), status: 200, audit: []string{"user.unbanned"}},
		acmeLoginRow("login after the unban", "alice", &token, 200, "", state{sessions: 1}),
		// Delete: identities, sessions and profile go; the audit log keeps a tombstone.
		{name: "delete", method: "DELETE", pathFn: upath(""), status: 204, delta: state{users: -1, identities: -1, sessions: -1},
			audit: []string{"user.deleted"}, check: func(t *testing.T, r response) {
				if n := e.count(`SELECT COUNT(*) FROM identities WHERE openid = ?`, openid); n != 0 {
					t.Fatalf("%d identities left", n)
				}
				if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ?`, alice); n != 0 {
					t.Fatal("the user row is still there")
				}
				if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.deleted' AND target_id = ? AND JSON_SEARCH(details, 'one', ?) IS NOT NULL`, alice, openid); n != 1 {
					t.Fatal("no tombstone in the audit log")
				}
			}},
		meRow("a deleted user's session", &token, 401, "invalid_session"),
		newAlice,
		{name: "the deleted user", method: "GET", pathFn: upath(""), status: 404, code: "not_found"},
	})
	// The audit lines name the admin and where it came from.
	for _, action := range []string{"user.banned", "user.unbanned", "user.deleted"} {
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND tenant_id = ? AND actor_id = ? AND ip <> ''`, action, e.tenant.ID, acmeEmail); n != 1 {
			t.Fatalf("audit %s: %d lines", action, n)
		}
	}
}

func TestAdminSessions(t *testing.T) {
	e := newAdminEnv(t)
	a1, a2 := e.login("alice"), e.login("alice")
	bob := e.login("bob")
	var alice, id, revoked, kept, globex, bobAgain string
	upath := func(suffix string) func(*env) string {
		return func(*env) string { return "/admin/api/tenants/acme/users/" + alice + suffix }
	}
	whoIsAlice := meRow("alice's id", &a1, 200, "")
	whoIsAlice.check = func(t *testing.T, r response) { alice = r.str("user", "id") }
	// The overview's count of live sessions follows every revocation.
	active := func(want float64) scenario {
		return scenario{name: fmt.Sprintf("overview: %v active", want), method: "GET", path: "/admin/api/tenants/acme/overview", status: 200,
			check: func(t *testing.T, r response) {
				if r.Body["active_sessions"] != want {
					t.Fatalf("overview: %v active sessions, want %v: %s", r.Body["active_sessions"], want, r.Raw)
				}
			}}
	}
	globexLogin := scenario{name: "a login at globex", path: "/t/globex/login", header: []string{}, bodyFn: func(e *env) string {
		c, _ := e.wx.IssueCode(otherAppID, "carol")
		return `{"code":"` + c + `"}`
	}, status: 200, delta: state{users: 1, identities: 1, sessions: 1}, check: func(t *testing.T, r response) { globex = r.str("session") }}
	globexMe := meRow("acme's revoke-all did not hit globex", &globex, 200, "")
	globexMe.path = "/t/globex/me"
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		whoIsAlice,
		active(3),
		{name: "alice's sessions", method: "GET", pathFn: upath("/sessions"), status: 200, check: func(t *testing.T, r response) {
			list := r.list("sessions")
			if len(list) != 2 {
				t.Fatalf("sessions: %s", r.Raw)
			}
			for _, s := range list {
				m := get[map[string]any](t, s)
				if m["ip"] == "" || m["created_at"] == "" || m["id"] == "" || m["last_seen_at"] == nil {
					t.Fatalf("session without ip/created/id: %v", m)
				}
			}
			// The one to revoke, and which of alice's tokens it is.
			id = get[string](t, list[0], "id")
			switch id {
			case sessions.IDOf(a1):
				revoked, kept = a1, a2
			case sessions.IDOf(a2):
				revoked, kept = a2, a1
			default:
				t.Fatalf("session %s is neither of alice's: %s", id, r.Raw)
			}
		}},
		// Revoke one: that one dies, the other lives.
		{name: "revoke one", method: "DELETE", pathFn: func(e *env) string { return upath("/sessions/")(e) + id }, status: 204,
			delta: state{sessions: -1}, audit: []string{"session.revoked"}},
		meRow("the revoked session", &revoked, 401, "invalid_session"),
		meRow("the other session", &kept, 200, ""),
		{name: "revoke it again", method: "DELETE", pathFn: func(e *env) string { return upath("/sessions/")(e) + id }, status: 404, code: "not_found"},
		active(2),
		// Revoke all of the user.
		{name: "revoke the user's", method: "DELETE", pathFn: upath("/sessions"), status: 200, delta: state{sessions: -1},
			audit: []string{"sessions.revoked_user"}, check: func(t *testing.T, r response) {
				if r.num("revoked") != 1 {
					t.Fatalf("revoke user: %s", r.Raw)
				}
			}},
		meRow("alice's second session", &a2, 401, "invalid_session"),
		meRow("alice's first session", &a1, 401, "invalid_session"),
		meRow("bob keeps his session", &bob, 200, ""),
		active(1),
		// Revoke all of the tenant: bob too; globex untouched.
		globexLogin,
		// Revoke-all ends the tenant's sessions by raising its epoch; their
		// records are not deleted, so no delta.
		{name: "revoke all of the tenant", path: "/admin/api/tenants/acme/sessions/revoke-all", status: 204,
			audit: []string{"sessions.revoked_all"}},
		meRow("bob's session after revoke-all", &bob, 401, "invalid_session"),
		active(0),
		globexMe,
		acmeLoginRow("a login after revoke-all", "bob", &bobAgain, 200, "", state{sessions: 1}),
		meRow("its session", &bobAgain, 200, ""),
	})
}

func TestAdminDisableTenant(t *testing.T) {
	e := newAdminEnv(t)
	token := e.login("alice")
	tenantIs := func(status string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if got := r.str("tenant", "status"); got != status {
				t.Fatalf("tenant %s, want %s: %s", got, status, r.Raw)
			}
		}
	}
	runStory(t, e.env, scenario{header: adminHeader(e.callers[platform])}, []scenario{
		{name: "disable", path: "/admin/api/tenants/acme/disable", status: 200, audit: []string{"tenant.disabled"}, check: tenantIs("disabled")},
		// Refused logins change nothing (the runner's fingerprint).
		acmeLoginRow("login of a disabled tenant", "alice", nil, 403, "tenant_disabled", state{}),
		meRow("session of a disabled tenant", &token, 403, "tenant_disabled"),
		// The tenant's own admin still sees it, disabled.
		{name: "own admin on a disabled tenant", method: "GET", path: "/admin/api/tenants/acme", header: adminHeader(e.callers[own]), status: 200,
			check: tenantIs("disabled")},
		{name: "enable", path: "/admin/api/tenants/acme/enable", status: 200, audit: []string{"tenant.enabled"}},
		acmeLoginRow("login after enable", "alice", nil, 200, "", state{sessions: 1}),
		meRow("a session from before the disable", &token, 401, "invalid_session"),
		// Deleting a tenant removes it with its users; the audit log keeps it.
		{name: "delete", method: "DELETE", path: "/admin/api/tenants/acme", status: 204, delta: state{users: -1, identities: -1}, audit: []string{"tenant.deleted"},
			check: func(t *testing.T, r response) {
				if n := e.count(`SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID); n != 0 {
					t.Fatalf("%d users of the deleted tenant", n)
				}
				if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.deleted' AND target_id = 'acme'`); n != 1 {
					t.Fatal("no audit line for the deletion")
				}
			}},
		acmeLoginRow("login of a deleted tenant", "alice", nil, 404, "tenant_not_found", state{}),
	})
}

func TestAdminApps(t *testing.T) {
	e := newAdminEnv(t)
	app := "/admin/api/tenants/acme/apps/" + demoAppID
	sealed := func() string {
		var s string
		if err := e.db.Get(&s, `SELECT HEX(secret_sealed) FROM apps WHERE appid = ?`, demoAppID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Every answer is kept, to look for the secrets in them at the end;
	// then check, if any, looks at it.
	var bodies []string
	keep := func(check func(t *testing.T, r response)) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			bodies = append(bodies, r.Raw)
			if check != nil {
				check(t, r)
			}
		}
	}
	rotated := []string{"app.secret_rotated"}
	rotate := func(name, secret string) scenario {
		return scenario{name: name, method: "PUT", path: app + "/secret", body: `{"secret":"` + secret + `"}`, status: 204, audit: rotated}
	}
	var s0 string
	same := rotate("rotate to the same secret", demoSecret)
	same.before = func(*env) { s0 = sealed() }
	same.check = func(t *testing.T, r response) {
		if sealed() == s0 {
			t.Fatal("rotation kept the sealed bytes")
		}
	}
	rows := []scenario{
		{name: "test the right secret", path: app + "/test", status: 200, audit: []string{"app.tested"}, check: func(t *testing.T, r response) {
			if r.Body["ok"] != true {
				t.Fatalf("test with the right secret: %s", r.Raw)
			}
		}},
		// Rotating seals afresh even with the same secret (new nonce).
		same,
		// A wrong secret: WeChat refuses it, logins say so, the overview shows it.
		rotate("rotate to a wrong secret", "not-the-right-secret-0000"),
		{name: "test a wrong secret", path: app + "/test", status: 200, audit: []string{"app.tested"}, check: func(t *testing.T, r response) {
			if r.Body["ok"] != false || r.Body["errcode"] == nil {
				t.Fatalf("test with a wrong secret: %s", r.Raw)
			}
		}},
		acmeLoginRow("login with a wrong secret", "alice", nil, 502, "tenant_misconfigured", state{}),
		{name: "the overview shows the errors", method: "GET", path: "/admin/api/tenants/acme/overview", status: 200, check: func(t *testing.T, r response) {
			if errs := r.list("wechat_errors"); len(errs) < 2 || get[string](t, errs[0], "api") != "jscode2session" {
				t.Fatalf("overview errors: %s", r.Raw)
			}
		}},
		rotate("rotate back to the right secret", demoSecret),
		acmeLoginRow("login after fixing the secret", "alice", nil, 200, "", state{users: 1, identities: 1, sessions: 1}),
		// Bad input changes nothing: the runner's fingerprint holds the
		// sealed secret of every app.
		{name: "a short secret", method: "PUT", path: app + "/secret", body: `{"secret":"short"}`, status: 400, code: "invalid_request"},
		{name: "an unknown app", method: "PUT", path: "/admin/api/tenants/acme/apps/wxnotours0001/secret", body: `{"secret":"` + demoSecret + `"}`, status: 404, code: "not_found"},
		{name: "globex's app", method: "PUT", path: "/admin/api/tenants/acme/apps/" + otherAppID + "/secret", body: `{"secret":"` + demoSecret + `"}`, status: 404, code: "not_found"},
		// A second app, made default; globex's appid cannot be taken.
		{name: "a second app", path: "/admin/api/tenants/acme/apps", body: `{"appid":"wxacme00000002","secret":"second-app-secret-0123"}`, status: 201,
			audit: []string{"app.added"}},
		{name: "globex's appid", path: "/admin/api/tenants/acme/apps", body: `{"appid":"` + otherAppID + `","secret":"second-app-secret-0123"}`, status: 409, code: "conflict"},
		{name: "make it default", path: "/admin/api/tenants/acme/apps/wxacme00000002/default", status: 200, audit: []string{"app.made_default"},
			check: func(t *testing.T, r response) {
				if !strings.Contains(r.Raw, `{"appid":"wxacme00000002","kind":"miniprogram","is_default":true}`) {
					t.Fatalf("default app: %s", r.Raw)
				}
			}},
		{name: "list apps", method: "GET", path: "/admin/api/tenants/acme/apps", status: 200, audit: []string{}},
		{name: "the tenant", method: "GET", path: "/admin/api/tenants/acme", status: 200, audit: []string{}},
	}
	for i := range rows {
		rows[i].check = keep(rows[i].check)
	}
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, rows)
	// The AppSecret never comes back, whole or in part.
	for _, b := range bodies {
		for _, secret := range []string{demoSecret, "not-the-right-secret-0000", "second-app-secret-0123"} {
			if strings.Contains(b, secret) || strings.Contains(b, secret[len(secret)-4:]+`"`) {
				t.Fatalf("a secret is in a response: %s", b)
			}
		}
	}
	if strings.Contains(e.logs.String(), demoSecret) {
		t.Fatal("the AppSecret is in the logs")
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'app.secret_rotated' AND tenant_id = ?`, e.tenant.ID); n != 3 {
		t.Fatalf("%d rotations audited in acme's log, want 3", n)
	}
}

func TestAdminUserSearch(t *testing.T) {
	e := newAdminEnv(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, e.userID(fmt.Sprintf("u%d", i)))
	}
	if _, err := e.db.Exec(`UPDATE users SET nickname = '小明_1', phone = '+8613800000000' WHERE public_id = ?`, ids[2]); err != nil {
		t.Fatal(err)
	}
	// Keyset pages of 2, newest first, cover everyone once: 2, 2, then 1
	// and no next page.
	var seen []string
	after := ""
	page := func(name string, last bool) scenario {
		return scenario{name: name, pathFn: func(*env) string { return "/admin/api/tenants/acme/users?limit=2&after=" + after }, status: 200,
			check: func(t *testing.T, r response) {
				for _, u := range r.list("users") {
					seen = append(seen, get[string](t, u, "id"))
				}
				after, _ = r.Body["next"].(string)
				if (after == "") != last {
					t.Fatalf("next %q on page %s: %s", after, name, r.Raw)
				}
			}}
	}
	runStory(t, e.env, scenario{method: "GET", header: adminHeader(e.callers[own])}, []scenario{
		page("first page", false), page("second page", false), page("third page", true),
	})
	if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
		t.Fatalf("pages gave %v, want %v reversed", seen, ids)
	}
	search := func(name, q, want string) scenario {
		return scenario{name: name, path: "/admin/api/tenants/acme/users?q=" + url.QueryEscape(q), status: 200,
			check: func(t *testing.T, r response) {
				got := ""
				for _, u := range r.list("users") {
					got += get[string](t, u, "id")
				}
				if got != want {
					t.Fatalf("search %q: got %q want %q", q, got, want)
				}
			}}
	}
	runScenarios(t, e.env, scenario{method: "GET", header: adminHeader(e.callers[own])}, []scenario{
		search("by public id", ids[3], ids[3]),
		search("by openid", e.wx.OpenID(demoAppID, "u1"), ids[1]),
		search("by phone", "+8613800000000", ids[2]),
		search("by nickname", "小明", ids[2]),
		search("by nickname with an underscore", "小明_", ids[2]),
		search("LIKE wildcards are literal", "小%", ""),
		search("nobody", "nobody", ""),
		// globex's admin finds nothing of acme's, not even through its own tenant.
		func() scenario {
			sc := search("globex's admin", ids[3], "")
			sc.path = "/admin/api/tenants/globex/users?q=" + ids[3]
			sc.header = adminHeader(e.callers[other])
			return sc
		}(),
		func() scenario {
			sc := search("globex's admin, by acme's openid", e.wx.OpenID(demoAppID, "u1"), "")
			sc.path = "/admin/api/tenants/globex/users?q=" + url.QueryEscape(e.wx.OpenID(demoAppID, "u1"))
			sc.header = adminHeader(e.callers[other])
			return sc
		}(),
	})
}

func TestAdminAuditIsolation(t *testing.T) {
	e := newAdminEnv(t)
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		{name: "acme renamed", method: "PATCH", path: "/admin/api/tenants/acme", body: `{"name":"Acme Two"}`, status: 200, audit: []string{"tenant.updated"}},
		{name: "globex renamed", method: "PATCH", path: "/admin/api/tenants/globex", header: adminHeader(e.callers[other]), body: `{"name":"Globex Two"}`,
			status: 200, audit: []string{"tenant.updated"}},
		{name: "acme's audit", method: "GET", path: "/admin/api/tenants/acme/audit", status: 200, check: func(t *testing.T, r response) {
			if !strings.Contains(r.Raw, `"tenant.updated"`) || strings.Contains(r.Raw, "globex") {
				t.Fatalf("acme's audit: %s", r.Raw)
			}
		}},
		{name: "acme's audit, filtered", method: "GET", path: "/admin/api/tenants/acme/audit?action=tenant.updated", status: 200,
			check: func(t *testing.T, r response) {
				if n := len(r.list("entries")); n != 1 {
					t.Fatalf("filtered audit: %d entries: %s", n, r.Raw)
				}
			}},
		{name: "the platform's audit", method: "GET", path: "/admin/api/audit?scope=all&action=tenant.updated", header: adminHeader(e.callers[platform]), status: 200,
			check: func(t *testing.T, r response) {
				if n := len(r.list("entries")); n != 2 || !strings.Contains(r.Raw, `"tenant":"globex"`) {
					t.Fatalf("platform audit: %s", r.Raw)
				}
			}},
	})
}

func TestConsoleFiles(t *testing.T) {
	e := newEnv(t)
	// file is a row of a console file served as ctype, with the headers
	// that keep the console from running anyone else's scripts or frames.
	file := func(path, ctype string) scenario {
		return scenario{name: path, path: path, status: 200, check: func(t *testing.T, r response) {
			if !strings.Contains(r.Header.Get("Content-Type"), ctype) {
				t.Fatalf("%s: Content-Type %q, want %s", path, r.Header.Get("Content-Type"), ctype)
			}
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || r.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("%s: CSP %q, XFO %q", path, csp, r.Header.Get("X-Frame-Options"))
			}
		}}
	}
	runScenarios(t, e, scenario{method: "GET", raw: true}, []scenario{
		file("/console/", "text/html"),
		{name: "/console is redirected to /console/", path: "/console", status: 301, location: "/console/"},
		file("/console/app.js", "javascript"),
		file("/console/views/users.js", "javascript"),
		file("/console/style.css", "text/css"),
		{name: "/console/../go.mod", path: "/console/../go.mod", status: 404},
		{name: "/console/nope.js", path: "/console/nope.js", status: 404},
	})
}

func TestAdminTenantSettings(t *testing.T) {
	e := newAdminEnv(t)
	// Each change is followed by a login that sees it at once: the tenant
	// cache was invalidated. A refused change changes nothing (the
	// runner's fingerprint). One person per login: the table outgrows one
	// identity's login budget.
	var rows []scenario
	logins := 0
	change := func(sc scenario, expiresIn float64) {
		if sc.status == 200 {
			sc.audit = []string{"tenant.updated"}
		}
		logins++
		user := fmt.Sprint("user-", logins)
		rows = append(rows, sc, scenario{name: sc.name + ": a login sees it", method: "POST", path: "/t/acme/login", header: []string{},
			bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` }, status: 200, delta: state{users: 1, identities: 1, sessions: 1},
			check: func(t *testing.T, r response) {
				if r.num("expires_in") != expiresIn {
					t.Fatalf("login expires_in %v, want %v", r.Body["expires_in"], expiresIn)
				}
			}})
	}
	bad := func(name, body string) {
		change(scenario{name: name, body: body, status: 400, code: "invalid_request"}, 3600)
	}
	change(scenario{name: "shorter idle lifetime", body: `{"settings":{"session_idle_seconds":3600}}`, status: 200}, 3600)
	bad("idle below a minute", `{"settings":{"session_idle_seconds":30}}`)
	bad("absolute shorter than idle", `{"settings":{"session_absolute_seconds":1800}}`)
	// Seconds that would wrap as a time.Duration: to 0.29 s, to a negative.
	bad("idle that wraps to a blink", `{"settings":{"session_idle_seconds":18446744074}}`)
	bad("idle that wraps negative", `{"settings":{"session_idle_seconds":9223372037}}`)
	bad("absolute that wraps", `{"settings":{"session_absolute_seconds":18446744074}}`)
	bad("idle over 400 days", `{"settings":{"session_idle_seconds":34560001}}`)
	bad("negative idle", `{"settings":{"session_idle_seconds":-1}}`)
	bad("negative absolute", `{"settings":{"session_absolute_seconds":-18446744074}}`)
	bad("beyond any integer", `{"settings":{"session_idle_seconds":99999999999999999999}}`)
	bad("unknown registration policy", `{"settings":{"registration":"anyone"}}`)
	bad("empty name", `{"name":"  "}`)
	change(scenario{name: "rename, policy kept", body: `{"name":"Acme Two"}`, status: 200}, 3600)
	change(scenario{name: "back to the defaults", body: `{"settings":{"session_idle_seconds":0}}`, status: 200}, 7*24*3600)
	runStory(t, e.env, scenario{method: "PATCH", path: "/admin/api/tenants/acme", header: adminHeader(e.callers[own])}, rows)
}
