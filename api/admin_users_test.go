package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestAdminBanAndDelete(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	token := e.login("alice")
	e.login("alice") // a second session
	alice := e.do("GET", "/t/acme/me", "", bearer(token)...).str("user", "id")
	bob := e.login("bob")
	upath := "/admin/api/tenants/acme/users/" + alice

	r := e.as(own, "GET", upath, "")
	if r.Status != 200 || len(r.list("sessions")) != 2 || len(r.list("identities")) != 1 {
		t.Fatalf("user detail: %d %s", r.Status, r.Raw)
	}
	if strings.Contains(r.Raw, token) {
		t.Fatal("a session token is in the admin API's answer")
	}

	// Ban: the sessions die at once, the next login is refused.
	if r := e.as(own, "POST", upath+"/ban", ""); r.Status != 200 || r.obj("user")["status"] != "banned" {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(token)...); r.Status != 401 {
		t.Fatalf("a banned user's session: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("a banned user's login: %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(bob)...); r.Status != 200 {
		t.Fatalf("banning alice hit bob: %d", r.Status)
	}
	if r := e.as(own, "POST", upath+"/unban", ""); r.Status != 200 {
		t.Fatalf("unban: %d %s", r.Status, r.Raw)
	}
	token = e.login("alice")

	// Delete: identities, sessions and profile go; the audit log keeps a tombstone.
	openid := e.wx.OpenID(demoAppID, "alice")
	if r := e.as(own, "DELETE", upath, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM identities WHERE openid = ?`, openid); n != 0 {
		t.Fatalf("%d identities left", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ?`, alice); n != 0 {
		t.Fatal("the user row is still there")
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.deleted' AND target_id = ? AND JSON_SEARCH(details, 'one', ?) IS NOT NULL`, alice, openid); n != 1 {
		t.Fatal("no tombstone in the audit log")
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(token)...); r.Status != 401 {
		t.Fatalf("a deleted user's session: %d", r.Status)
	}
	r = e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`)
	if r.Status != 200 || r.obj("user")["is_new"] != true || r.obj("user")["id"] == alice {
		t.Fatalf("login after delete: %d %s", r.Status, r.Raw)
	}
	if r := e.as(own, "GET", upath, ""); r.Status != 404 || r.errCode() != "not_found" {
		t.Fatalf("deleted user: %d %s", r.Status, r.Raw)
	}
	for _, action := range []string{"user.banned", "user.unbanned", "user.deleted"} {
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND tenant_id = ? AND actor_id = ? AND ip <> ''`, action, e.tenant.ID, acmeEmail); n != 1 {
			t.Fatalf("audit %s: %d lines", action, n)
		}
	}
}

func TestAdminSessions(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	a1, a2 := e.login("alice"), e.login("alice")
	bob := e.login("bob")
	alice := e.do("GET", "/t/acme/me", "", bearer(a1)...).str("user", "id")
	upath := "/admin/api/tenants/acme/users/" + alice
	// The overview's count of live sessions follows every revocation.
	active := func(want float64) {
		t.Helper()
		if r := e.as(own, "GET", "/admin/api/tenants/acme/overview", ""); r.Body["active_sessions"] != want {
			t.Fatalf("overview: %v active sessions, want %v: %s", r.Body["active_sessions"], want, r.Raw)
		}
	}
	active(3)
	r := e.as(own, "GET", upath+"/sessions", "")
	list := r.list("sessions")
	if r.Status != 200 || len(list) != 2 {
		t.Fatalf("sessions: %d %s", r.Status, r.Raw)
	}
	for _, s := range list {
		m := get[map[string]any](t, s)
		if m["ip"] == "" || m["created_at"] == "" || m["id"] == "" || m["last_seen_at"] == nil {
			t.Fatalf("session without ip/created/id: %v", m)
		}
	}
	// Revoke one: that one dies, the other lives.
	id := get[string](t, list[0], "id")
	if r := e.as(own, "DELETE", upath+"/sessions/"+id, ""); r.Status != 204 {
		t.Fatalf("revoke one: %d %s", r.Status, r.Raw)
	}
	alive := 0
	for _, tok := range []string{a1, a2} {
		if e.do("GET", "/t/acme/me", "", bearer(tok)...).Status == 200 {
			alive++
		}
	}
	if alive != 1 {
		t.Fatalf("%d of alice's sessions alive after revoking one, want 1", alive)
	}
	if r := e.as(own, "DELETE", upath+"/sessions/"+id, ""); r.Status != 404 {
		t.Fatalf("revoke it again: %d", r.Status)
	}
	active(2)
	// Revoke all of the user.
	if r := e.as(own, "DELETE", upath+"/sessions", ""); r.Status != 200 || r.Body["revoked"] != float64(1) {
		t.Fatalf("revoke user: %d %s", r.Status, r.Raw)
	}
	if e.do("GET", "/t/acme/me", "", bearer(a2)...).Status != 401 || e.do("GET", "/t/acme/me", "", bearer(a1)...).Status != 401 {
		t.Fatal("alice still has a session")
	}
	if e.do("GET", "/t/acme/me", "", bearer(bob)...).Status != 200 {
		t.Fatal("bob lost his session")
	}
	active(1)
	// Revoke all of the tenant: bob too; globex untouched.
	c, _ := e.wx.IssueCode(otherAppID, "carol")
	g := e.do("POST", "/t/globex/login", `{"code":"`+c+`"}`).str("session")
	if r := e.as(own, "POST", "/admin/api/tenants/acme/sessions/revoke-all", ""); r.Status != 204 {
		t.Fatalf("revoke all: %d %s", r.Status, r.Raw)
	}
	if e.do("GET", "/t/acme/me", "", bearer(bob)...).Status != 401 {
		t.Fatal("bob's session survived revoke-all")
	}
	active(0)
	if e.do("GET", "/t/globex/me", "", bearer(g)...).Status != 200 {
		t.Fatal("acme's revoke-all hit globex")
	}
	if e.do("GET", "/t/acme/me", "", bearer(e.login("bob"))...).Status != 200 {
		t.Fatal("no login after revoke-all")
	}
}

func TestAdminDisableTenant(t *testing.T) {
	e := newAdminEnv(t)
	p := e.callers[platform]
	token := e.login("alice")
	if r := e.as(p, "POST", "/admin/api/tenants/acme/disable", ""); r.Status != 200 || r.obj("tenant")["status"] != "disabled" {
		t.Fatalf("disable: %d %s", r.Status, r.Raw)
	}
	before := e.state()
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 403 || r.errCode() != "tenant_disabled" {
		t.Fatalf("login of a disabled tenant: %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(token)...); r.Status != 403 || r.errCode() != "tenant_disabled" {
		t.Fatalf("session of a disabled tenant: %d %s", r.Status, r.Raw)
	}
	if after := e.state(); after != before {
		t.Fatalf("refused logins changed state: %+v → %+v", before, after)
	}
	// The tenant's own admin still sees it, disabled.
	if r := e.as(e.callers[own], "GET", "/admin/api/tenants/acme", ""); r.Status != 200 || r.obj("tenant")["status"] != "disabled" {
		t.Fatalf("own admin on a disabled tenant: %d %s", r.Status, r.Raw)
	}
	if r := e.as(p, "POST", "/admin/api/tenants/acme/enable", ""); r.Status != 200 {
		t.Fatalf("enable: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 200 {
		t.Fatalf("login after enable: %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(token)...); r.Status != 401 {
		t.Fatalf("a session from before the disable: %d", r.Status)
	}
	// Deleting a tenant removes it with its users; the audit log keeps it.
	if r := e.as(p, "DELETE", "/admin/api/tenants/acme", ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 404 || r.errCode() != "tenant_not_found" {
		t.Fatalf("login of a deleted tenant: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID); n != 0 {
		t.Fatalf("%d users of the deleted tenant", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.deleted' AND target_id = 'acme'`); n != 1 {
		t.Fatal("no audit line for the deletion")
	}
}

func TestAdminApps(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	app := "/admin/api/tenants/acme/apps/" + demoAppID
	sealed := func() string {
		var s string
		if err := e.db.Get(&s, `SELECT HEX(secret_sealed) FROM apps WHERE appid = ?`, demoAppID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	var bodies []string
	check := func(r response, status int) response {
		t.Helper()
		if r.Status != status {
			t.Fatalf("%d, want %d: %s", r.Status, status, r.Raw)
		}
		bodies = append(bodies, r.Raw)
		return r
	}
	if r := check(e.as(own, "POST", app+"/test", ""), 200); r.Body["ok"] != true {
		t.Fatalf("test with the right secret: %s", r.Raw)
	}
	// Rotating seals afresh even with the same secret (new nonce).
	s0 := sealed()
	check(e.as(own, "PUT", app+"/secret", `{"secret":"`+demoSecret+`"}`), 204)
	if s1 := sealed(); s1 == s0 {
		t.Fatal("rotation kept the sealed bytes")
	}
	// A wrong secret: WeChat refuses it, logins say so, the overview shows it.
	check(e.as(own, "PUT", app+"/secret", `{"secret":"not-the-right-secret-0000"}`), 204)
	if r := check(e.as(own, "POST", app+"/test", ""), 200); r.Body["ok"] != false || r.Body["errcode"] == nil {
		t.Fatalf("test with a wrong secret: %s", r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 502 || r.errCode() != "tenant_misconfigured" {
		t.Fatalf("login with a wrong secret: %d %s", r.Status, r.Raw)
	}
	ov := check(e.as(own, "GET", "/admin/api/tenants/acme/overview", ""), 200)
	if errs := ov.list("wechat_errors"); len(errs) < 2 || get[string](t, errs[0], "api") != "jscode2session" {
		t.Fatalf("overview errors: %s", ov.Raw)
	}
	check(e.as(own, "PUT", app+"/secret", `{"secret":"`+demoSecret+`"}`), 204)
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 200 {
		t.Fatalf("login after fixing the secret: %d %s", r.Status, r.Raw)
	}
	// Bad input changes nothing.
	s2 := sealed()
	check(e.as(own, "PUT", app+"/secret", `{"secret":"short"}`), 400)
	check(e.as(own, "PUT", "/admin/api/tenants/acme/apps/wxnotours0001/secret", `{"secret":"`+demoSecret+`"}`), 404)
	check(e.as(own, "PUT", "/admin/api/tenants/acme/apps/"+otherAppID+"/secret", `{"secret":"`+demoSecret+`"}`), 404)
	if sealed() != s2 {
		t.Fatal("a refused rotation changed the secret")
	}
	// A second app, made default; globex's appid cannot be taken.
	check(e.as(own, "POST", "/admin/api/tenants/acme/apps", `{"appid":"wxacme00000002","secret":"second-app-secret-0123"}`), 201)
	check(e.as(own, "POST", "/admin/api/tenants/acme/apps", `{"appid":"`+otherAppID+`","secret":"second-app-secret-0123"}`), 409)
	r := check(e.as(own, "POST", "/admin/api/tenants/acme/apps/wxacme00000002/default", ""), 200)
	if !strings.Contains(r.Raw, `{"appid":"wxacme00000002","kind":"miniprogram","is_default":true}`) {
		t.Fatalf("default app: %s", r.Raw)
	}
	check(e.as(own, "GET", "/admin/api/tenants/acme/apps", ""), 200)
	check(e.as(own, "GET", "/admin/api/tenants/acme", ""), 200)
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
		t.Fatalf("%d rotations audited, want 3", n)
	}
}

func TestAdminUserSearch(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, e.userID(fmt.Sprintf("u%d", i)))
	}
	if _, err := e.db.Exec(`UPDATE users SET nickname = '小明_1', phone = '+8613800000000' WHERE public_id = ?`, ids[2]); err != nil {
		t.Fatal(err)
	}
	// Keyset pages of 2, newest first, cover everyone once.
	var seen []string
	after := ""
	for page := 0; page < 5; page++ {
		r := e.as(own, "GET", "/admin/api/tenants/acme/users?limit=2&after="+after, "")
		for _, u := range r.list("users") {
			seen = append(seen, get[string](t, u, "id"))
		}
		after, _ = r.Body["next"].(string)
		if after == "" {
			break
		}
	}
	if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
		t.Fatalf("pages gave %v, want %v reversed", seen, ids)
	}
	searches := []struct{ q, want string }{
		{ids[3], ids[3]},
		{e.wx.OpenID(demoAppID, "u1"), ids[1]},
		{"+8613800000000", ids[2]},
		{"小明", ids[2]},
		{"小明_", ids[2]},
		{"小%", ""}, // LIKE wildcards are literal
		{"nobody", ""},
	}
	for _, s := range searches {
		r := e.as(own, "GET", "/admin/api/tenants/acme/users?q="+url.QueryEscape(s.q), "")
		got := ""
		for _, u := range r.list("users") {
			got += get[string](t, u, "id")
		}
		if r.Status != 200 || got != s.want {
			t.Fatalf("search %q: %d got %q want %q", s.q, r.Status, got, s.want)
		}
	}
	// globex's admin finds nothing of acme's, not even through its own tenant.
	if r := e.as(e.callers[other], "GET", "/admin/api/tenants/globex/users?q="+ids[3], ""); len(r.list("users")) != 0 {
		t.Fatalf("globex sees acme's user: %s", r.Raw)
	}
}

func TestAdminAuditIsolation(t *testing.T) {
	e := newAdminEnv(t)
	e.as(e.callers[own], "PATCH", "/admin/api/tenants/acme", `{"name":"Acme Two"}`)
	e.as(e.callers[other], "PATCH", "/admin/api/tenants/globex", `{"name":"Globex Two"}`)
	r := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/audit", "")
	if r.Status != 200 || !strings.Contains(r.Raw, `"tenant.updated"`) || strings.Contains(r.Raw, "globex") {
		t.Fatalf("acme's audit: %s", r.Raw)
	}
	r = e.as(e.callers[own], "GET", "/admin/api/tenants/acme/audit?action=tenant.updated", "")
	if n := len(r.list("entries")); n != 1 {
		t.Fatalf("filtered audit: %d entries: %s", n, r.Raw)
	}
	r = e.as(e.callers[platform], "GET", "/admin/api/audit?scope=all&action=tenant.updated", "")
	if n := len(r.list("entries")); n != 2 || !strings.Contains(r.Raw, `"tenant":"globex"`) {
		t.Fatalf("platform audit: %s", r.Raw)
	}
}

func TestConsoleFiles(t *testing.T) {
	e := newEnv(t)
	for _, sc := range []struct {
		path, ctype string
		status      int
	}{
		{"/console/", "text/html", 200},
		{"/console", "text/html", 200}, // redirected to /console/
		{"/console/app.js", "javascript", 200},
		{"/console/views/users.js", "javascript", 200},
		{"/console/style.css", "text/css", 200},
		{"/console/../go.mod", "", 404},
		{"/console/nope.js", "", 404},
	} {
		res, err := httpClient.Get(e.base + sc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != sc.status || !strings.Contains(res.Header.Get("Content-Type"), sc.ctype) {
			t.Fatalf("%s: %d %s", sc.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if sc.status == 200 {
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || res.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("%s: CSP %q, XFO %q", sc.path, csp, res.Header.Get("X-Frame-Options"))
			}
		}
	}
}

func TestAdminTenantSettings(t *testing.T) {
	e := newAdminEnv(t)
	// A refused change changes nothing (fingerprint, taken in each row's
	// before), and logins see the change at once: the tenant cache was
	// invalidated. One person per row: the table outgrows one identity's
	// login budget.
	var before string
	logins := 0
	after := func(expiresIn float64) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if r.Status >= 400 && e.fingerprint() != before {
				t.Fatal("a refused change changed state")
			}
			logins++
			l := e.do("POST", "/t/acme/login", `{"code":"`+e.code(fmt.Sprint("user-", logins))+`"}`)
			if l.num("expires_in") != expiresIn {
				t.Fatalf("login expires_in %v, want %v", l.Body["expires_in"], expiresIn)
			}
		}
	}
	bad := func(name, body string) scenario {
		return scenario{name: name, body: body, status: 400, code: "invalid_request", check: after(3600)}
	}
	rows := []scenario{
		{name: "shorter idle lifetime", body: `{"settings":{"session_idle_seconds":3600}}`, status: 200, check: after(3600)},
		bad("idle below a minute", `{"settings":{"session_idle_seconds":30}}`),
		bad("absolute shorter than idle", `{"settings":{"session_absolute_seconds":1800}}`),
		// Seconds that would wrap as a time.Duration: to 0.29 s, to a negative.
		bad("idle that wraps to a blink", `{"settings":{"session_idle_seconds":18446744074}}`),
		bad("idle that wraps negative", `{"settings":{"session_idle_seconds":9223372037}}`),
		bad("absolute that wraps", `{"settings":{"session_absolute_seconds":18446744074}}`),
		bad("idle over 400 days", `{"settings":{"session_idle_seconds":34560001}}`),
		bad("negative idle", `{"settings":{"session_idle_seconds":-1}}`),
		bad("negative absolute", `{"settings":{"session_absolute_seconds":-18446744074}}`),
		bad("beyond any integer", `{"settings":{"session_idle_seconds":99999999999999999999}}`),
		bad("unknown registration policy", `{"settings":{"registration":"anyone"}}`),
		bad("empty name", `{"name":"  "}`),
		{name: "rename, policy kept", body: `{"name":"Acme Two"}`, status: 200, check: after(3600)},
		{name: "back to the defaults", body: `{"settings":{"session_idle_seconds":0}}`, status: 200, check: after(7 * 24 * 3600)},
	}
	for i := range rows {
		rows[i].before = func(*env) { before = e.fingerprint() }
	}
	runScenarios(t, e.env, scenario{method: "PATCH", path: "/admin/api/tenants/acme", header: adminHeader(e.callers[own])}, rows)
}
