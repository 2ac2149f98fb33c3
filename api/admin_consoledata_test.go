package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/sessions"
)

// The console's data routes (admin_sessions.go, admin_user_data.go,
// admin_audit_export.go, admin_webhook_ping.go): who may call them, and
// what they answer.

func TestConsoleDataAccess(t *testing.T) {
	e := newAdminEnv(t)
	recv := newHookReceiver(t)
	r := e.as(e.callers[own], "POST", "/admin/api/tenants/acme/webhooks", `{"url":"`+recv.URL+`/hook","events":["user.created"]}`)
	if r.Status != 201 {
		t.Fatalf("create webhook: %d %s", r.Status, r.Raw)
	}
	hook := fmt.Sprintf("/admin/api/tenants/acme/webhooks/%d", int(r.num("webhook", "id")))
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	cases := []adminCase{
		{"tenant sessions", "GET", fixed("/admin/api/tenants/acme/sessions"), nil, read},
		{"user logins", "GET", freshUser("/logins"), nil, read},
		{"ban with reason and end", "POST", freshUser("/ban"), func(*adminEnv, caller) string {
			return `{"reason":"spam","until":"` + until + `"}`
		}, change},
		{"ping webhook", "POST", fixed(hook + "/ping"), nil, [nCallers]int{201, 201, 404, 401, 403}},
	}
	for _, ac := range cases {
		t.Run(ac.name, func(t *testing.T) {
			for who := caller(0); who < nCallers; who++ {
				e.t = t
				path, body := ac.path(e, who), ""
				if ac.body != nil {
					body = ac.body(e, who)
				}
				before := e.fingerprint()
				r := e.as(e.callers[who], ac.method, path, body)
				if r.Status != ac.want[who] {
					t.Fatalf("%s: %s %s = %d, want %d: %s", who, ac.method, path, r.Status, ac.want[who], r.Raw)
				}
				if r.Status >= 400 && e.fingerprint() != before {
					t.Fatalf("%s: refused %s %s changed state", who, ac.method, path)
				}
			}
		})
	}
	// The CSV routes: a tenant admin reaches its own tenant's only.
	for _, tc := range []struct {
		who  caller
		path string
		want int
	}{
		{own, "/admin/api/tenants/acme/users/export", 200},
		{other, "/admin/api/tenants/acme/users/export", 404},
		{signedOut, "/admin/api/tenants/acme/users/export", 401},
		{own, "/admin/api/tenants/acme/audit/export", 200},
		{other, "/admin/api/tenants/acme/audit/export", 404},
		{platform, "/admin/api/audit/export?scope=all", 200},
		{own, "/admin/api/audit/export", 403},
	} {
		e.t = t
		if status, _ := e.rawGet(e.callers[tc.who], tc.path); status != tc.want {
			t.Fatalf("%s GET %s = %d, want %d", tc.who, tc.path, status, tc.want)
		}
	}
}

// rawGet is a GET whose answer need not be JSON (a CSV export).
func (e *adminEnv) rawGet(c adminClient, path string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.base+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "miniauth_admin="+c.cookie)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		e.t.Fatalf("GET %s: Content-Type %q", path, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, string(raw)
}

func TestConsoleSessionsList(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	a1 := e.login("alice")
	e.login("alice")
	e.login("bob")
	e.login("carol")
	alice := e.do("GET", "/t/acme/me", "", bearer(a1)...).str("user", "id")
	base := "/admin/api/tenants/acme/sessions"

	all := e.as(own, "GET", base, "")
	if all.Status != 200 || len(all.list("sessions")) != 4 || all.str("next") != "" {
		t.Fatalf("all sessions: %d %s", all.Status, all.Raw)
	}
	if strings.Contains(all.Raw, a1) {
		t.Fatal("a session token in the list")
	}
	if r := e.as(own, "GET", base+"?user="+alice, ""); r.Status != 200 || len(r.list("sessions")) != 2 {
		t.Fatalf("alice's sessions: %d %s", r.Status, r.Raw)
	}
	if r := e.as(own, "GET", base+"?app="+demoAppID, ""); r.Status != 200 || len(r.list("sessions")) != 4 {
		t.Fatalf("sessions of the app: %d %s", r.Status, r.Raw)
	}
	// Pages of one user each: every session once, to the end.
	seen, cursor := map[string]bool{}, ""
	for pages := 0; ; pages++ {
		r := e.as(own, "GET", base+"?limit=1&cursor="+cursor, "")
		if r.Status != 200 || pages > 4 {
			t.Fatalf("page %d: %d %s", pages, r.Status, r.Raw)
		}
		for _, s := range r.list("sessions") {
			id := get[string](t, s, "id")
			if seen[id] {
				t.Fatalf("session %s on two pages", id)
			}
			seen[id] = true
		}
		if cursor = r.str("next"); cursor == "" {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("paging saw %d sessions, want 4", len(seen))
	}
	for _, bad := range []struct{ query, code string }{
		{"?app=wxnotours", "invalid_request"},
		{"?cursor=u_nosuchuser", "invalid_request"},
		{"?limit=0", "invalid_request"},
		{"?user=u_nosuchuser", "not_found"},
	} {
		if r := e.as(own, "GET", base+bad.query, ""); r.Status/100 != 4 || r.errCode() != bad.code {
			t.Fatalf("%s: %d %s", bad.query, r.Status, r.Raw)
		}
	}

	// Last seen is the session's last use: lowering the idle lifetime
	// afterwards does not move it (it used to become the listing's time).
	if r := e.do("GET", "/t/acme/me", "", bearer(a1)...); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	lastSeen := func() string {
		r := e.as(own, "GET", base+"?user="+alice, "")
		for _, s := range r.list("sessions") {
			if get[string](t, s, "id") == sessions.IDOf(a1) {
				return get[string](t, s, "last_seen_at")
			}
		}
		t.Fatalf("alice's session not listed: %s", r.Raw)
		return ""
	}
	before := lastSeen()
	if r := e.as(own, "PATCH", "/admin/api/tenants/acme", `{"settings":{"session_idle_seconds":3600}}`); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	if after := lastSeen(); after != before {
		t.Fatalf("last seen moved from %s to %s with the idle lifetime", before, after)
	}

	// Revoking from the list ends the session at once.
	id := get[string](t, all.list("sessions")[0], "id")
	user := get[string](t, all.list("sessions")[0], "user")
	if r := e.as(own, "DELETE", "/admin/api/tenants/acme/users/"+user+"/sessions/"+id, ""); r.Status != 204 {
		t.Fatal(r.Raw)
	}
	if r := e.as(own, "GET", base, ""); len(r.list("sessions")) != 3 || strings.Contains(r.Raw, id) {
		t.Fatalf("after a revocation: %s", r.Raw)
	}
}

func TestConsoleBanWithReasonAndEnd(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	alice := e.userID("alice")
	upath := "/admin/api/tenants/acme/users/" + alice
	for _, bad := range []string{
		`{"until":"2001-01-01T00:00:00Z"}`,
		`{"reason":"` + strings.Repeat("x", 201) + `"}`,
		`{"reason":"spam","why":"typo"}`,
		`{"until":"tomorrow"}`,
	} {
		before := e.fingerprint()
		if r := e.as(own, "POST", upath+"/ban", bad); r.Status != 400 || r.errCode() != "invalid_request" {
			t.Fatalf("ban %s: %d %s", bad, r.Status, r.Raw)
		}
		if e.fingerprint() != before {
			t.Fatalf("a refused ban %s changed state", bad)
		}
	}
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	r := e.as(own, "POST", upath+"/ban", `{"reason":"  chargebacks ","until":"`+until.Format(time.RFC3339)+`"}`)
	if r.Status != 200 || r.str("user", "status") != "banned" || r.str("user", "ban_reason") != "chargebacks" {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	if got, err := time.Parse(time.RFC3339, r.str("user", "banned_until")); err != nil || !got.Equal(until) {
		t.Fatalf("banned_until %q, want %s", r.str("user", "banned_until"), until)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("login while banned: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.banned' AND target_id = ? AND JSON_VALUE(details, '$.reason') = 'chargebacks'`, alice); n != 1 {
		t.Fatalf("%d audit lines of the ban with its reason", n)
	}
	// The end comes (set in the past here rather than waited for): the
	// user logs in again without anyone lifting the ban.
	e.db.MustExec(`UPDATE users SET banned_until = NOW(3) - INTERVAL 1 SECOND WHERE public_id = ?`, alice)
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 200 {
		t.Fatalf("login after the ban's end: %d %s", r.Status, r.Raw)
	}
	if r := e.as(own, "GET", upath, ""); r.str("user", "status") != "active" || strings.Contains(r.Raw, "ban_reason") {
		t.Fatalf("a ban that ended: %s", r.Raw)
	}
	// A ban without a body is a ban until lifted, as before.
	if r := e.as(own, "POST", upath+"/ban", ""); r.Status != 200 || r.str("user", "status") != "banned" || strings.Contains(r.Raw, "banned_until") {
		t.Fatalf("plain ban: %d %s", r.Status, r.Raw)
	}
}

func TestConsoleLoginHistoryAndIdentityLastLogin(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	alice := e.userID("alice")
	upath := "/admin/api/tenants/acme/users/" + alice
	e.db.MustExec(`UPDATE identities SET last_login_at = '2020-01-01' WHERE user_id = (SELECT id FROM users WHERE public_id = ?)`, alice)
	e.login("alice")
	// The history is written in batches (tenants/loginlog): both logins
	// are there within a flush interval, so this waits for them.
	r := e.as(own, "GET", upath+"/logins", "")
	for deadline := time.Now().Add(10 * time.Second); r.Status == 200 && len(r.list("logins")) < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		r = e.as(own, "GET", upath+"/logins", "")
	}
	if r.Status != 200 || len(r.list("logins")) != 2 || get[string](t, r.list("logins")[0], "appid") != demoAppID ||
		get[string](t, r.list("logins")[0], "way") != "miniprogram" {
		t.Fatalf("logins: %d %s", r.Status, r.Raw)
	}
	if r := e.as(own, "GET", upath+"/logins?limit=1", ""); r.Status != 200 || len(r.list("logins")) != 1 {
		t.Fatalf("logins?limit=1: %d %s", r.Status, r.Raw)
	}
	for _, bad := range []string{"0", "101"} {
		if r := e.as(own, "GET", upath+"/logins?limit="+bad, ""); r.Status != 400 {
			t.Fatalf("logins?limit=%s: %d %s", bad, r.Status, r.Raw)
		}
	}
	d := e.as(own, "GET", upath, "")
	if last := get[string](t, d.list("identities")[0], "last_login_at"); strings.HasPrefix(last, "2020-") {
		t.Fatalf("the identity's last login did not move: %s", last)
	}
	if r := e.as(own, "GET", "/admin/api/tenants/acme/users/u_nosuchuser/logins", ""); r.Status != 404 {
		t.Fatalf("logins of nobody: %d", r.Status)
	}
}

func TestConsoleImportExport(t *testing.T) {
	e := newAdminEnv(t)
	c := e.callers[own]
	imp := func(csvText string) response {
		return e.do("POST", "/admin/api/tenants/acme/users/import", csvText,
			"Cookie", "miniauth_admin="+c.cookie, "X-CSRF-Token", c.csrf, "Content-Type", "text/csv")
	}
	users := func() int { return e.count(`SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID) }
	n := users()
	r := imp("phone,name\n+8613800138001,Ann\nnot-a-phone,Bad\n+8613800138001,Twice\n")
	if r.Status != 400 || len(r.list("error", "lines")) != 2 || users() != n {
		t.Fatalf("bad rows: %d %s (%d users, were %d)", r.Status, r.Raw, users(), n)
	}
	r = imp("phone,name,external_id\n+8613800138001,Ann,crm-1\n13800138002,=HYPERLINK(1),crm-2\n")
	rows := r.list("rows")
	if r.Status != 200 || r.num("created") != 2 || len(rows) != 2 || get[string](t, rows[1], "result") != "created" ||
		get[float64](t, rows[1], "line") != 3 || !strings.HasPrefix(get[string](t, rows[0], "user"), "u_") {
		t.Fatalf("import: %d %s", r.Status, r.Raw)
	}
	r = imp("phone,name\n+8613800138001,Annie\n")
	if r.Status != 200 || r.num("updated") != 1 || get[string](t, r.list("rows")[0], "result") != "updated" {
		t.Fatalf("import again: %d %s", r.Status, r.Raw)
	}
	e.login("alice")
	status, body := e.rawGet(c, "/admin/api/tenants/acme/users/export")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != 200 || err != nil || len(recs) != users()+1 || strings.Join(recs[0], ",") != "id,nickname,phone,unionid,status,ban_reason,banned_until,created_at,last_login_at" {
		t.Fatalf("export: %d %v %q", status, err, body)
	}
	if !strings.Contains(body, "+8613800138001") || !strings.Contains(body, "'=HYPERLINK(1)") || strings.Contains(body, "mas_") {
		t.Fatalf("export content: %q", body)
	}
}

func TestConsoleWebhookPing(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	recv := newHookReceiver(t)
	r := e.as(own, "POST", "/admin/api/tenants/acme/webhooks", `{"url":"`+recv.URL+`/hook","events":["user.banned"]}`)
	secret := r.str("secret")
	remember(secret, "webhook secret")
	hook := fmt.Sprintf("/admin/api/tenants/acme/webhooks/%d", int(r.num("webhook", "id")))
	if r := e.as(own, "PATCH", hook, `{"url":"`+recv.URL+`/edited","events":["user.banned","user.deleted"],"status":"active"}`); r.Status != 200 {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	r = e.as(own, "POST", hook+"/ping", "")
	if r.Status != 201 || r.str("delivery", "event_type") != "ping" {
		t.Fatalf("ping: %d %s", r.Status, r.Raw)
	}
	if _, err := e.hooks.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := recv.events(t, secret); len(got) != 1 || got[0] != "ping" {
		t.Fatalf("received %v", got)
	}
	recv.mu.Lock()
	body := recv.body[0]
	recv.mu.Unlock()
	if !strings.Contains(body, `"type":"ping"`) || !strings.Contains(body, "/edited") {
		t.Fatalf("ping body %s", body)
	}
	d := e.as(own, "GET", "/admin/api/tenants/acme/webhook-deliveries", "")
	if ds := d.list("deliveries"); len(ds) != 1 || get[string](t, ds[0], "status") != "succeeded" {
		t.Fatalf("deliveries: %s", d.Raw)
	}
	if r := e.as(own, "POST", "/admin/api/tenants/acme/webhooks/999999/ping", ""); r.Status != 404 {
		t.Fatalf("ping of nothing: %d", r.Status)
	}
}

func TestConsoleAuditRangeAndExport(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	alice := e.userID("alice")
	if r := e.as(own, "POST", "/admin/api/tenants/acme/users/"+alice+"/ban", `{"reason":"audit me"}`); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	e.db.MustExec(`INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, ip, created_at)
		VALUES (?, 'cli', 'miniauth', 'users.imported', 'tenant', ?, '', '2020-06-01 12:00:00')`, e.tenant.ID, fmt.Sprint(e.tenant.ID))
	base := "/admin/api/tenants/acme/audit"
	r := e.as(own, "GET", base+"?from=2020-06-01&to=2020-06-01", "")
	if es := r.list("entries"); r.Status != 200 || len(es) != 1 || get[string](t, es[0], "target_id") != "acme" {
		t.Fatalf("one day of 2020: %d %s", r.Status, r.Raw)
	}
	r = e.as(own, "GET", base+"?from="+time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)+"&action=user.banned", "")
	if es := r.list("entries"); r.Status != 200 || len(es) != 1 || get[string](t, es[0], "target_id") != alice {
		t.Fatalf("since yesterday: %d %s", r.Status, r.Raw)
	}
	if r := e.as(own, "GET", base+"?to=2020-05-31", ""); r.Status != 200 || len(r.list("entries")) != 0 {
		t.Fatalf("before 2020-06: %s", r.Raw)
	}
	for _, bad := range []string{"?from=yesterday", "?to=2020-13-01", "?from=2020-06-02&to=2020-06-01"} {
		if r := e.as(own, "GET", base+bad, ""); r.Status != 400 || r.errCode() != "invalid_request" {
			t.Fatalf("%s: %d %s", bad, r.Status, r.Raw)
		}
	}
	status, body := e.rawGet(own, base+"/export?from=2020-06-01&to=2020-06-01")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != 200 || err != nil || len(recs) != 2 || recs[1][4] != "users.imported" || recs[1][6] != "acme" {
		t.Fatalf("export: %d %v %q", status, err, body)
	}
	if status, _ := e.rawGet(own, base+"/export?from=2020-06-02&to=2020-06-01"); status != 400 {
		t.Fatalf("export of a backward range: %d", status)
	}
}
