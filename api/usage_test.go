package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/stats"
)

// usageNode2 assembles a second API node on the same MySQL, Redis and
// WeChat as e's (its own caches, sign-in core and counter, as another
// process would have) and returns its base URL.
func usageNode2(t *testing.T, base api.Base, settings api.Settings) string {
	t.Helper()
	a := api.Assemble(base, settings)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.Start(ctx)
	for deadline := time.Now().Add(time.Minute); !a.Listening(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 2's cache bus did not subscribe")
		}
	}
	srv := api.New(a.Deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = srv.App().ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// nums reads a JSON array of numbers.
func nums(r response, key string) []int64 {
	r.t.Helper()
	var out []int64
	for _, v := range r.list(key) {
		out = append(out, int64(v.(float64)))
	}
	return out
}

// causes reads failed_by_cause as cause → count.
func causes(r response) map[string]int64 {
	r.t.Helper()
	out := map[string]int64{}
	for _, v := range r.list("failed_by_cause") {
		m := v.(map[string]any)
		out[m["cause"].(string)] = int64(m["count"].(float64))
	}
	return out
}

// TestUsageCountsWaysIn drives real logins through the simulator on two
// API nodes sharing MySQL and Redis, and reads the charts of use back:
// each login counted once whichever node served it, new users, distinct
// users, failed logins by the error code they were answered with; the
// app and way filters; and, after the rollup has run and the day turned,
// the same day read back from MySQL's history.
func TestUsageCountsWaysIn(t *testing.T) {
	var base api.Base
	var settings api.Settings
	e := newTunedAdminEnv(t, func(b *api.Base, s *api.Settings) { base, settings = *b, *s })
	node2 := usageNode2(t, base, settings)
	nodes := []string{e.base, node2}
	own := e.callers[own]
	usage := func(query string) response {
		t.Helper()
		r := e.as(own, "GET", "/admin/api/tenants/acme/usage"+query, "")
		if r.Status != 200 {
			t.Fatalf("usage%s: %d %s", query, r.Status, r.Raw)
		}
		return r
	}
	login := func(node int, user string) response {
		t.Helper()
		return e.doAt(nodes[node], "POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`)
	}

	// ann: new, then back on the other node; bob: new on node 2; cleo:
	// new, banned, refused; and a code WeChat never issued.
	for i, step := range []struct {
		node   int
		user   string
		status int
	}{{0, "ann", 200}, {1, "ann", 200}, {1, "bob", 200}, {0, "cleo", 200}} {
		if r := login(step.node, step.user); r.Status != step.status {
			t.Fatalf("login %d (%s on node %d): %d %s", i, step.user, step.node+1, r.Status, r.Raw)
		}
	}
	cleo := e.userID("cleo") // a fifth login
	if r := e.as(own, "POST", "/admin/api/tenants/acme/users/"+cleo+"/ban", ""); r.Status != 200 {
		t.Fatalf("ban: %d %s", r.Status, r.Raw)
	}
	if r := login(1, "cleo"); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("banned login: %d %s", r.Status, r.Raw)
	}
	if r := e.doAt(nodes[0], "POST", "/t/acme/login", `{"code":"never-issued-0001"}`); r.Status != 401 || r.errCode() != "invalid_code" {
		t.Fatalf("bad code: %d %s", r.Status, r.Raw)
	}

	r := usage("")
	days := r.list("days")
	if len(days) != 30 || r.str("zone") != stats.ZoneName {
		t.Fatalf("%d days in %q, want 30 in %s", len(days), r.str("zone"), stats.ZoneName)
	}
	last := len(days) - 1
	check := func(r response, what string, logins, newUsers, failed, dau int64) {
		t.Helper()
		l, n, f, d := nums(r, "logins"), nums(r, "new_users"), nums(r, "failed"), nums(r, "dau")
		if l[last] != logins || n[last] != newUsers || f[last] != failed || d[last] != dau {
			t.Fatalf("%s: today logins %d, new users %d, failed %d, DAU %d; want %d, %d, %d, %d",
				what, l[last], n[last], f[last], d[last], logins, newUsers, failed, dau)
		}
	}
	check(r, "whole tenant", 5, 3, 2, 3)
	if c := causes(r); len(c) != 2 || c["user_banned"] != 1 || c["invalid_code"] != 1 {
		t.Fatalf("failed by cause %v, want user_banned 1 and invalid_code 1", c)
	}
	if mau := r.num("mau"); mau != 3 {
		t.Fatalf("MAU %v, want 3", mau)
	}
	if m := nums(r, "mau_daily"); m[last] != 3 {
		t.Fatalf("MAU of today's 30 days %d, want 3", m[last])
	}
	apps, ways := r.list("apps"), r.list("ways")
	if len(apps) != 1 || get[string](t, apps[0], "appid") != demoAppID || get[float64](t, apps[0], "logins") != 5 ||
		get[float64](t, apps[0], "failed") != 2 {
		t.Fatalf("apps %v", apps)
	}
	if len(ways) != 1 || get[string](t, ways[0], "way") != "miniprogram" || get[float64](t, ways[0], "new_users") != 3 {
		t.Fatalf("ways %v", ways)
	}

	// One app and one way: the same numbers, and no MAU series.
	r = usage("?app=" + demoAppID + "&way=miniprogram")
	check(r, "the mini-program", 5, 3, 2, 3)
	if _, ok := r.Body["mau_daily"]; ok || r.str("appid") != demoAppID || r.str("way") != "miniprogram" {
		t.Fatalf("filtered answer: %s", r.Raw)
	}
	check(usage("?way=sms&days=90"), "SMS", 0, 0, 0, 0)
	if n := len(usage("?days=90").list("days")); n != 90 {
		t.Fatalf("%d days for days=90", n)
	}

	// The rollup copies today into MySQL; once the day has turned, the
	// day comes from there (the API reads Redis for today only).
	counter := stats.NewCounter(e.rdb, e.prefix)
	counter.SetClock(e.clock.Now)
	store := stats.NewStore(e.db, counter)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Run(ctx, slog.New(slog.NewJSONHandler(e.logs, nil)), stats.RunOptions{Every: time.Hour})
	}()
	for deadline := time.Now().Add(2 * time.Minute); e.count(`SELECT COUNT(*) FROM usage_daily WHERE tenant_id = ? AND metric = 'logins' AND value = 5`, e.tenant.ID) != 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the rollup did not write today's logins within 2 minutes")
		}
	}
	cancel()
	<-done
	e.clock.Add(24 * time.Hour)
	r = usage("")
	l, n, f := nums(r, "logins"), nums(r, "new_users"), nums(r, "failed")
	if l[last-1] != 5 || n[last-1] != 3 || f[last-1] != 2 || l[last] != 0 {
		t.Fatalf("after the day turned: yesterday %d logins, %d new users, %d failed; today %d logins", l[last-1], n[last-1], f[last-1], l[last])
	}
	if d := nums(r, "dau"); d[last-1] != 3 || r.num("mau") != 3 {
		t.Fatalf("yesterday's DAU %d, MAU %v; want 3 and 3", d[last-1], r.num("mau"))
	}
	if c := causes(r); c["user_banned"] != 1 || c["invalid_code"] != 1 {
		t.Fatalf("failed by cause from the history: %v", c)
	}

	// The platform overview adds up every tenant: acme's logins, globex none.
	p := e.as(e.callers[platform], "GET", "/admin/api/usage?days=30", "")
	if p.Status != 200 {
		t.Fatalf("platform usage: %d %s", p.Status, p.Raw)
	}
	if pl := nums(p, "logins"); pl[last-1] != 5 || p.num("tenant_count") != 1 {
		t.Fatalf("platform: yesterday %d logins, %v tenants with use", pl[last-1], p.num("tenant_count"))
	}
	if top := p.list("tenants"); len(top) != 1 || get[string](t, top[0], "slug") != "acme" || get[float64](t, top[0], "logins") != 5 {
		t.Fatalf("platform top tenants: %v", top)
	}
}

// TestUsageRefusals: bad windows, apps and ways are 400 and a tenant
// admin sees neither another tenant's use nor the platform's.
func TestUsageRefusals(t *testing.T) {
	e := newAdminEnv(t)
	for _, tc := range []struct {
		who    caller
		path   string
		status int
		code   string
	}{
		{own, "/admin/api/tenants/acme/usage?days=0", 400, "invalid_request"},
		{own, "/admin/api/tenants/acme/usage?days=367", 400, "invalid_request"},
		{own, "/admin/api/tenants/acme/usage?days=month", 400, "invalid_request"},
		{own, "/admin/api/tenants/acme/usage?way=fax", 400, "invalid_request"},
		{own, "/admin/api/tenants/acme/usage?app=" + otherAppID, 400, "invalid_request"}, // globex's app
		{other, "/admin/api/tenants/acme/usage", 404, "tenant_not_found"},
		{signedOut, "/admin/api/tenants/acme/usage", 401, "unauthenticated"},
		{own, "/admin/api/usage", 403, "forbidden"},
		{platform, "/admin/api/usage?days=-1", 400, "invalid_request"},
	} {
		t.Run(fmt.Sprintf("%v %s", tc.who, tc.path), func(t *testing.T) {
			r := e.as(e.callers[tc.who], "GET", tc.path, "")
			if r.Status != tc.status || r.errCode() != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Raw, tc.status, tc.code)
			}
		})
	}
	// A login refused at the address's budget, before the sign-in core,
	// is counted by its cause too (for the mini-program, with no app yet).
	e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
	refused := 0
	for i := 0; i < 5 && refused == 0; i++ {
		switch r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(fmt.Sprint("dee", i))+`"}`); {
		case r.Status == 429 && r.errCode() == "rate_limited":
			refused++
		case r.Status != 200:
			t.Fatalf("login: %d %s", r.Status, r.Raw)
		}
	}
	if refused == 0 {
		t.Fatal("a budget of one login a minute let five through")
	}
	r := e.as(e.callers[platform], "GET", "/admin/api/tenants/acme/usage?way=miniprogram", "")
	if r.Status != 200 {
		t.Fatalf("platform admin on acme: %d %s", r.Status, r.Raw)
	}
	if c := causes(r); len(c) != 1 || c["rate_limited"] != 1 {
		t.Fatalf("failed by cause %v, want rate_limited 1", c)
	}
}

// TestUsageCountsSignUps: under the signup policy a login that hands out
// a ticket is neither a login nor a refusal; the sign-up with the ticket
// is a new user of the way it came from (the mini-program, by its app).
func TestUsageCountsSignUps(t *testing.T) {
	e := newAdminEnv(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("newcomer")+`"}`)
	ticket, _ := r.Body["signup_ticket"].(string)
	if r.Status != 200 || ticket == "" {
		t.Fatalf("login under signup: %d %s", r.Status, r.Raw)
	}
	remember(ticket, "signup ticket")
	u := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/usage", "")
	last := len(u.list("days")) - 1
	if l, f := nums(u, "logins"), nums(u, "failed"); l[last] != 0 || f[last] != 0 {
		t.Fatalf("a ticket handed out counted as %d logins and %d failures", l[last], f[last])
	}
	if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`); r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Raw)
	}
	u = e.as(e.callers[own], "GET", "/admin/api/tenants/acme/usage", "")
	if l, n, d := nums(u, "logins"), nums(u, "new_users"), nums(u, "dau"); l[last] != 1 || n[last] != 1 || d[last] != 1 {
		t.Fatalf("after the sign-up: %d logins, %d new users, DAU %d; want 1, 1, 1", l[last], n[last], d[last])
	}
	if ways := u.list("ways"); len(ways) != 1 || get[string](t, ways[0], "way") != "miniprogram" {
		t.Fatalf("the sign-up's way: %v", ways)
	}
}
