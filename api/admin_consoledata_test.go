package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/sessions"
)

// The console's data routes (admin_sessions.go, admin_user_data.go,
// admin_audit_export.go, admin_webhook_ping.go): who may call them, and
// what they answer.

// csvRows is the CSV r answers, with its Content-Type checked.
func csvRows(t *testing.T, r response) [][]string {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("Content-Type %q, want text/csv", r.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(r.Raw)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v %q", err, r.Raw)
	}
	return recs
}

// isCSV checks that an export's answer is CSV.
func isCSV(t *testing.T, r response) { t.Helper(); csvRows(t, r) }

// cookieOnly is the header of a GET by c, with its cookie and no CSRF token
// (a download link).
func cookieOnly(c adminClient) []string { return adminHeader(adminClient{cookie: c.cookie}) }

// webhookRow creates a webhook of acme for events, sending to url, and
// keeps its path and secret.
func webhookRow(e *adminEnv, url, events string, path, secret *string) scenario {
	return scenario{name: "create webhook", path: "/admin/api/tenants/acme/webhooks", header: adminHeader(e.callers[own]),
		body: `{"url":"` + url + `","events":[` + events + `]}`, status: 201, audit: []string{"webhook.created"},
		check: func(t *testing.T, r response) {
			*path = fmt.Sprintf("/admin/api/tenants/acme/webhooks/%d", int(r.num("webhook", "id")))
			*secret = r.str("secret")
			remember(*secret, "webhook secret")
		}}
}

func TestConsoleDataAccess(t *testing.T) {
	e := newAdminEnv(t)
	recv := newHookReceiver(t)
	var hook, secret string
	runStory(t, e.env, scenario{}, []scenario{webhookRow(e, recv.URL+"/hook", `"user.created"`, &hook, &secret)})
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	runAccessTable(t, e, []adminCase{
		{"tenant sessions", "GET", fixed("/admin/api/tenants/acme/sessions"), nil, read},
		{"user logins", "GET", freshUser("/logins"), nil, read},
		{"ban with reason and end", "POST", freshUser("/ban"), func(*adminEnv, caller) string {
			return `{"reason":"spam","until":"` + until + `"}`
		}, change},
		{"ping webhook", "POST", func(*adminEnv, caller) string { return hook + "/ping" }, nil, [nCallers]int{201, 201, 404, 401, 403}},
	})
	// The CSV routes: a tenant admin reaches its own tenant's only.
	csvRow := func(who caller, path string, status int) scenario {
		sc := scenario{name: fmt.Sprintf("%s GET %s", who, path), path: path, header: cookieOnly(e.callers[who]), status: status}
		if status == 200 {
			sc.check = isCSV
		}
		return sc
	}
	runScenarios(t, e.env, scenario{method: "GET", raw: true}, []scenario{
		csvRow(own, "/admin/api/tenants/acme/users/export", 200),
		csvRow(other, "/admin/api/tenants/acme/users/export", 404),
		csvRow(signedOut, "/admin/api/tenants/acme/users/export", 401),
		csvRow(own, "/admin/api/tenants/acme/audit/export", 200),
		csvRow(other, "/admin/api/tenants/acme/audit/export", 404),
		csvRow(platform, "/admin/api/audit/export?scope=all", 200),
		csvRow(own, "/admin/api/audit/export", 403),
	})
}

func TestConsoleSessionsList(t *testing.T) {
	e := newAdminEnv(t)
	own := adminHeader(e.callers[own])
	a1 := e.login("alice")
	e.login("alice")
	e.login("bob")
	e.login("carol")
	const base = "/admin/api/tenants/acme/sessions"
	var alice string
	var all []any
	sessionsOf := func(n int) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if len(r.list("sessions")) != n {
				t.Fatalf("%d sessions, want %d: %s", len(r.list("sessions")), n, r.Raw)
			}
		}
	}
	// Pages of one user each (alice, bob, carol): every session once, to
	// the end.
	seen, cursor := map[string]bool{}, ""
	page := func(n int, last bool) scenario {
		return scenario{name: fmt.Sprintf("page %d", n), method: "GET", pathFn: func(*env) string { return base + "?limit=1&cursor=" + cursor },
			status: 200, check: func(t *testing.T, r response) {
				for _, s := range r.list("sessions") {
					id := get[string](t, s, "id")
					if seen[id] {
						t.Fatalf("session %s on two pages", id)
					}
					seen[id] = true
				}
				if cursor = r.str("next"); (cursor == "") != last {
					t.Fatalf("next %q on page %d: %s", cursor, n, r.Raw)
				}
				if last && len(seen) != 4 {
					t.Fatalf("paging saw %d sessions, want 4", len(seen))
				}
			}}
	}
	// Last seen is the session's last use: lowering the idle lifetime
	// afterwards does not move it (it used to become the listing's time).
	var lastSeen string
	lastSeenOf := func(t *testing.T, r response) string {
		for _, s := range r.list("sessions") {
			if get[string](t, s, "id") == sessions.IDOf(a1) {
				return get[string](t, s, "last_seen_at")
			}
		}
		t.Fatalf("alice's session not listed: %s", r.Raw)
		return ""
	}
	var revoked string
	runStory(t, e.env, scenario{method: "GET", header: own}, []scenario{
		{name: "alice's id", path: "/t/acme/me", header: bearer(a1), status: 200,
			check: func(t *testing.T, r response) { alice = r.str("user", "id") }},
		{name: "all sessions", path: base, status: 200, check: func(t *testing.T, r response) {
			all = r.list("sessions")
			if len(all) != 4 || r.str("next") != "" {
				t.Fatalf("all sessions: %s", r.Raw)
			}
			if strings.Contains(r.Raw, a1) {
				t.Fatal("a session token in the list")
			}
		}},
		{name: "alice's sessions", pathFn: func(*env) string { return base + "?user=" + alice }, status: 200, check: sessionsOf(2)},
		{name: "sessions of the app", path: base + "?app=" + demoAppID, status: 200, check: sessionsOf(4)},
		page(1, false), page(2, false), page(3, true),
		{name: "another app", path: base + "?app=wxnotours", status: 400, code: "invalid_request"},
		{name: "a cursor of nobody", path: base + "?cursor=u_nosuchuser", status: 400, code: "invalid_request"},
		{name: "no limit", path: base + "?limit=0", status: 400, code: "invalid_request"},
		{name: "sessions of nobody", path: base + "?user=u_nosuchuser", status: 404, code: "not_found"},
		{name: "alice uses her session", path: "/t/acme/me", header: bearer(a1), status: 200},
		{name: "last seen", pathFn: func(*env) string { return base + "?user=" + alice }, status: 200,
			check: func(t *testing.T, r response) { lastSeen = lastSeenOf(t, r) }},
		{name: "lower the idle lifetime", method: "PATCH", path: "/admin/api/tenants/acme", body: `{"settings":{"session_idle_seconds":3600}}`,
			status: 200, audit: []string{"tenant.updated"}},
		{name: "last seen afterwards", pathFn: func(*env) string { return base + "?user=" + alice }, status: 200,
			check: func(t *testing.T, r response) {
				if after := lastSeenOf(t, r); after != lastSeen {
					t.Fatalf("last seen moved from %s to %s with the idle lifetime", lastSeen, after)
				}
			}},
		// Revoking from the list ends the session at once.
		{name: "revoke from the list", method: "DELETE", pathFn: func(*env) string {
			revoked = get[string](t, all[0], "id")
			return "/admin/api/tenants/acme/users/" + get[string](t, all[0], "user") + "/sessions/" + revoked
		}, status: 204, delta: state{0, 0, -1}, audit: []string{"session.revoked"}},
		{name: "after a revocation", path: base, status: 200, check: func(t *testing.T, r response) {
			if len(r.list("sessions")) != 3 || strings.Contains(r.Raw, revoked) {
				t.Fatalf("after a revocation: %s", r.Raw)
			}
		}},
	})
}

func TestConsoleBanWithReasonAndEnd(t *testing.T) {
	e := newAdminEnv(t)
	alice := e.userID("alice")
	upath := "/admin/api/tenants/acme/users/" + alice
	login := func(e *env) string { return `{"code":"` + e.code("alice") + `"}` }
	var rows []scenario
	for _, bad := range []string{
		`{"until":"2001-01-01T00:00:00Z"}`,
		`{"reason":"` + strings.Repeat("x", 201) + `"}`,
		`{"reason":"spam","why":"typo"}`,
		`{"until":"tomorrow"}`,
	} {
		rows = append(rows, scenario{name: fmt.Sprintf("ban %.40s", bad), path: upath + "/ban", body: bad, status: 400, code: "invalid_request"})
	}
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	rows = append(rows,
		scenario{name: "ban", path: upath + "/ban", body: `{"reason":"  chargebacks ","until":"` + until.Format(time.RFC3339) + `"}`,
			status: 200, delta: state{0, 0, -1}, audit: []string{"user.banned"}, check: func(t *testing.T, r response) {
				if r.str("user", "status") != "banned" || r.str("user", "ban_reason") != "chargebacks" {
					t.Fatalf("ban: %s", r.Raw)
				}
				if got, err := time.Parse(time.RFC3339, r.str("user", "banned_until")); err != nil || !got.Equal(until) {
					t.Fatalf("banned_until %q, want %s", r.str("user", "banned_until"), until)
				}
			}},
		scenario{name: "login while banned", path: "/t/acme/login", header: []string{}, bodyFn: login, status: 403, code: "user_banned"},
		// The end comes (set in the past here rather than waited for): the
		// user logs in again without anyone lifting the ban.
		scenario{name: "login after the ban's end", path: "/t/acme/login", header: []string{}, bodyFn: login, status: 200, delta: state{0, 0, 1},
			before: func(e *env) {
				e.db.MustExec(`UPDATE users SET banned_until = NOW(3) - INTERVAL 1 SECOND WHERE public_id = ?`, alice)
			}},
		scenario{name: "a ban that ended", method: "GET", path: upath, status: 200, check: func(t *testing.T, r response) {
			if r.str("user", "status") != "active" || strings.Contains(r.Raw, "ban_reason") {
				t.Fatalf("a ban that ended: %s", r.Raw)
			}
		}},
		// A ban without a body is a ban until lifted, as before.
		scenario{name: "plain ban", path: upath + "/ban", status: 200, delta: state{0, 0, -1}, audit: []string{"user.banned"},
			check: func(t *testing.T, r response) {
				if r.str("user", "status") != "banned" || strings.Contains(r.Raw, "banned_until") {
					t.Fatalf("plain ban: %s", r.Raw)
				}
			}},
	)
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, rows)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.banned' AND target_id = ? AND JSON_VALUE(details, '$.reason') = 'chargebacks'`, alice); n != 1 {
		t.Fatalf("%d audit lines of the ban with its reason", n)
	}
}

func TestConsoleLoginHistoryAndIdentityLastLogin(t *testing.T) {
	e := newAdminEnv(t)
	alice := e.userID("alice")
	upath := "/admin/api/tenants/acme/users/" + alice
	e.db.MustExec(`UPDATE identities SET last_login_at = '2020-01-01' WHERE user_id = (SELECT id FROM users WHERE public_id = ?)`, alice)
	e.login("alice")
	// The history is written in batches (tenants/loginlog): both logins
	// are there within a flush interval, so the first row waits for them.
	waitLogins := func(e *env) {
		for deadline := time.Now().Add(time.Minute); e.count(`SELECT COUNT(*) FROM login_history WHERE tenant_id = ?`, e.tenant.ID) < 2; {
			if time.Now().After(deadline) {
				t.Fatal("the two logins are not in the history within a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	runScenarios(t, e.env, scenario{method: "GET", header: adminHeader(e.callers[own])}, []scenario{
		{name: "logins", path: upath + "/logins", before: waitLogins, status: 200, check: func(t *testing.T, r response) {
			if len(r.list("logins")) != 2 || get[string](t, r.list("logins")[0], "appid") != demoAppID ||
				get[string](t, r.list("logins")[0], "way") != "miniprogram" {
				t.Fatalf("logins: %s", r.Raw)
			}
		}},
		{name: "logins, limit 1", path: upath + "/logins?limit=1", status: 200, check: func(t *testing.T, r response) {
			if len(r.list("logins")) != 1 {
				t.Fatalf("logins?limit=1: %s", r.Raw)
			}
		}},
		{name: "logins, limit 0", path: upath + "/logins?limit=0", status: 400, code: "invalid_request"},
		{name: "logins, limit 101", path: upath + "/logins?limit=101", status: 400, code: "invalid_request"},
		{name: "the identity's last login", path: upath, status: 200, check: func(t *testing.T, r response) {
			if last := get[string](t, r.list("identities")[0], "last_login_at"); strings.HasPrefix(last, "2020-") {
				t.Fatalf("the identity's last login did not move: %s", last)
			}
		}},
		{name: "logins of nobody", path: "/admin/api/tenants/acme/users/u_nosuchuser/logins", status: 404, code: "not_found"},
	})
}

func TestConsoleImportExport(t *testing.T) {
	e := newAdminEnv(t)
	c := e.callers[own]
	users := func() int { return e.count(`SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID) }
	imp := func(name, csvText string, status int, delta state, check func(t *testing.T, r response)) scenario {
		return scenario{name: name, path: "/admin/api/tenants/acme/users/import", body: csvText, ctype: "text/csv",
			status: status, code: map[bool]string{true: "invalid_request"}[status == 400], delta: delta, check: check}
	}
	runStory(t, e.env, scenario{header: adminHeader(c)}, []scenario{
		imp("bad rows", "phone,name\n+8613800138001,Ann\nnot-a-phone,Bad\n+8613800138001,Twice\n", 400, state{}, func(t *testing.T, r response) {
			if len(r.list("error", "lines")) != 2 {
				t.Fatalf("bad rows: %s", r.Raw)
			}
		}),
		imp("import", "phone,name,external_id\n+8613800138001,Ann,crm-1\n13800138002,=HYPERLINK(1),crm-2\n", 200, state{2, 0, 0},
			func(t *testing.T, r response) {
				rows := r.list("rows")
				if r.num("created") != 2 || len(rows) != 2 || get[string](t, rows[1], "result") != "created" ||
					get[float64](t, rows[1], "line") != 3 || !strings.HasPrefix(get[string](t, rows[0], "user"), "u_") {
					t.Fatalf("import: %s", r.Raw)
				}
			}),
		imp("import again", "phone,name\n+8613800138001,Annie\n", 200, state{}, func(t *testing.T, r response) {
			if r.num("updated") != 1 || get[string](t, r.list("rows")[0], "result") != "updated" {
				t.Fatalf("import again: %s", r.Raw)
			}
		}),
		{name: "export", method: "GET", path: "/admin/api/tenants/acme/users/export", header: cookieOnly(c), raw: true, status: 200,
			before: func(e *env) { e.login("alice") },
			check: func(t *testing.T, r response) {
				recs := csvRows(t, r)
				if len(recs) != users()+1 || strings.Join(recs[0], ",") != "id,nickname,phone,unionid,status,ban_reason,banned_until,created_at,last_login_at" {
					t.Fatalf("export: %q", r.Raw)
				}
				if !strings.Contains(r.Raw, "+8613800138001") || !strings.Contains(r.Raw, "'=HYPERLINK(1)") || strings.Contains(r.Raw, "mas_") {
					t.Fatalf("export content: %q", r.Raw)
				}
			}},
	})
}

func TestConsoleWebhookPing(t *testing.T) {
	e := newAdminEnv(t)
	recv := newHookReceiver(t)
	var hook, secret string
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		webhookRow(e, recv.URL+"/hook", `"user.banned"`, &hook, &secret),
		{name: "edit", method: "PATCH", pathFn: func(*env) string { return hook }, status: 200, audit: []string{"webhook.updated"},
			body: `{"url":"` + recv.URL + `/edited","events":["user.banned","user.deleted"],"status":"active"}`},
		{name: "ping", pathFn: func(*env) string { return hook + "/ping" }, status: 201, check: func(t *testing.T, r response) {
			if r.str("delivery", "event_type") != "ping" {
				t.Fatalf("ping: %s", r.Raw)
			}
		}},
	})
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
	runScenarios(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		{name: "deliveries", method: "GET", path: "/admin/api/tenants/acme/webhook-deliveries", status: 200, check: func(t *testing.T, r response) {
			if ds := r.list("deliveries"); len(ds) != 1 || get[string](t, ds[0], "status") != "succeeded" {
				t.Fatalf("deliveries: %s", r.Raw)
			}
		}},
		{name: "ping of nothing", path: "/admin/api/tenants/acme/webhooks/999999/ping", status: 404, code: "not_found"},
	})
}

func TestConsoleAuditRangeAndExport(t *testing.T) {
	e := newAdminEnv(t)
	own := e.callers[own]
	alice := e.userID("alice")
	const base = "/admin/api/tenants/acme/audit"
	entries := func(n int, target string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			es := r.list("entries")
			if len(es) != n || (n > 0 && get[string](t, es[0], "target_id") != target) {
				t.Fatalf("%d entries, want %d (of %q): %s", len(es), n, target, r.Raw)
			}
		}
	}
	rows := []scenario{
		{name: "ban", path: "/admin/api/tenants/acme/users/" + alice + "/ban", body: `{"reason":"audit me"}`, status: 200,
			delta: state{0, 0, -1}, audit: []string{"user.banned"}},
		{name: "one day of 2020", method: "GET", path: base + "?from=2020-06-01&to=2020-06-01", status: 200, check: entries(1, "acme"),
			before: func(e *env) {
				e.db.MustExec(`INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, ip, created_at)
					VALUES (?, 'cli', 'miniauth', 'users.imported', 'tenant', ?, '', '2020-06-01 12:00:00')`, e.tenant.ID, fmt.Sprint(e.tenant.ID))
			}},
		{name: "since yesterday", method: "GET", path: base + "?from=" + time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) + "&action=user.banned",
			status: 200, check: entries(1, alice)},
		{name: "before 2020-06", method: "GET", path: base + "?to=2020-05-31", status: 200, check: entries(0, "")},
	}
	for _, bad := range []string{"?from=yesterday", "?to=2020-13-01", "?from=2020-06-02&to=2020-06-01"} {
		rows = append(rows, scenario{name: bad, method: "GET", path: base + bad, status: 400, code: "invalid_request"})
	}
	rows = append(rows,
		scenario{name: "export", method: "GET", path: base + "/export?from=2020-06-01&to=2020-06-01", header: cookieOnly(own), raw: true,
			status: 200, check: func(t *testing.T, r response) {
				if recs := csvRows(t, r); len(recs) != 2 || len(recs[1]) < 7 || recs[1][4] != "users.imported" || recs[1][6] != "acme" {
					t.Fatalf("export: %q", r.Raw)
				}
			}},
		scenario{name: "export of a backward range", method: "GET", path: base + "/export?from=2020-06-02&to=2020-06-01", header: cookieOnly(own),
			raw: true, status: 400, code: "invalid_request"},
	)
	runStory(t, e.env, scenario{header: adminHeader(own)}, rows)
}
