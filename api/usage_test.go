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
// process would have) and returns its base URL and what it is made of.
func usageNode2(t *testing.T, base api.Base, settings api.Settings) (string, *api.Assembly) {
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
	t.Cleanup(func() {
		_ = srv.App().ShutdownWithTimeout(5 * time.Second)
		_ = a.Close(context.Background())
	})
	return "http://" + ln.Addr().String(), a
}

// nums reads a JSON array of numbers.
func nums(r response, key string) []int64 {
	r.t.Helper()
	var out []int64
	for _, v := range r.list(key) {
		out = append(out, int64(get[float64](r.t, v)))
	}
	return out
}

// causes reads failed_by_cause as cause → count.
func causes(r response) map[string]int64 {
	r.t.Helper()
	out := map[string]int64{}
	for _, v := range r.list("failed_by_cause") {
		out[get[string](r.t, v, "cause")] = int64(get[float64](r.t, v, "count"))
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
	node2, a2 := usageNode2(t, base, settings)
	nodes := []string{e.base, node2}
	login := func(name string, node int, user string, status int, code string, delta state) scenario {
		return scenario{name: name, path: nodes[node] + "/t/acme/login", status: status, code: code, delta: delta,
			bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` }}
	}
	// Node 1 answers the charts: it sends its own waiting counts first;
	// node 2's go every 200 ms, or now.
	usage := func(name, query string, check func(t *testing.T, r response)) scenario {
		return scenario{name: name, method: "GET", path: "/admin/api/tenants/acme/usage" + query,
			header: adminHeader(e.callers[own]), status: 200, check: check,
			before: func(*env) {
				if err := a2.UsageEvents.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}}
	}
	last := 29 // today, of the 30 days the first answer must have
	today := func(t *testing.T, r response, what string, logins, newUsers, failed, dau int64) {
		t.Helper()
		l, n, f, d := nums(r, "logins"), nums(r, "new_users"), nums(r, "failed"), nums(r, "dau")
		if len(l) <= last || len(n) <= last || len(f) <= last || len(d) <= last {
			t.Fatalf("%s: fewer than %d days: %s", what, last+1, r.Raw)
		}
		if l[last] != logins || n[last] != newUsers || f[last] != failed || d[last] != dau {
			t.Fatalf("%s: today logins %d, new users %d, failed %d, DAU %d; want %d, %d, %d, %d",
				what, l[last], n[last], f[last], d[last], logins, newUsers, failed, dau)
		}
	}

	// ann: new, then back on the other node; bob: new on node 2; cleo:
	// new, banned, refused; and a code WeChat never issued.
	runStory(t, e.env, scenario{}, []scenario{
		login("ann on node 1", 0, "ann", 200, "", state{1, 1, 1}),
		login("ann back on node 2", 1, "ann", 200, "", state{0, 0, 1}),
		login("bob on node 2", 1, "bob", 200, "", state{1, 1, 1}),
		login("cleo on node 1", 0, "cleo", 200, "", state{1, 1, 1}),
		// userID logs cleo in once more, a fifth login, before the row;
		// the ban ends both her sessions.
		{name: "ban cleo", pathFn: func(*env) string { return "/admin/api/tenants/acme/users/" + e.userID("cleo") + "/ban" },
			header: adminHeader(e.callers[own]), status: 200, delta: state{0, 0, -2}},
		login("banned cleo on node 2", 1, "cleo", 403, "user_banned", state{}),
		{name: "a code WeChat never issued", path: nodes[0] + "/t/acme/login", body: `{"code":"never-issued-0001"}`,
			status: 401, code: "invalid_code"},
		usage("the whole tenant", "", func(t *testing.T, r response) {
			if days := r.list("days"); len(days) != 30 || r.str("zone") != stats.ZoneName {
				t.Fatalf("%d days in %q, want 30 in %s", len(days), r.str("zone"), stats.ZoneName)
			}
			today(t, r, "whole tenant", 5, 3, 2, 3)
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
		}),
		// One app and one way: the same numbers, and no MAU series.
		usage("the mini-program", "?app="+demoAppID+"&way=miniprogram", func(t *testing.T, r response) {
			today(t, r, "the mini-program", 5, 3, 2, 3)
			if _, ok := r.Body["mau_daily"]; ok || r.str("appid") != demoAppID || r.str("way") != "miniprogram" {
				t.Fatalf("filtered answer: %s", r.Raw)
			}
		}),
		usage("SMS", "?way=sms&days=90", func(t *testing.T, r response) { today(t, r, "SMS", 0, 0, 0, 0) }),
		usage("90 days", "?days=90", func(t *testing.T, r response) {
			if n := len(r.list("days")); n != 90 {
				t.Fatalf("%d days for days=90", n)
			}
		}),
	})

	// The rollup copies today into MySQL; once the day has turned, the
	// day comes from there (the API reads Redis for today only).
	store := e.usage // the API's: its rollup sends the node's waiting counts first
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
	runScenarios(t, e.env, scenario{}, []scenario{
		usage("after the day turned", "", func(t *testing.T, r response) {
			l, n, f := nums(r, "logins"), nums(r, "new_users"), nums(r, "failed")
			if len(l) != 30 || len(n) != 30 || len(f) != 30 {
				t.Fatalf("not 30 days: %s", r.Raw)
			}
			if l[last-1] != 5 || n[last-1] != 3 || f[last-1] != 2 || l[last] != 0 {
				t.Fatalf("after the day turned: yesterday %d logins, %d new users, %d failed; today %d logins", l[last-1], n[last-1], f[last-1], l[last])
			}
			if d := nums(r, "dau"); d[last-1] != 3 || r.num("mau") != 3 {
				t.Fatalf("yesterday's DAU %d, MAU %v; want 3 and 3", d[last-1], r.num("mau"))
			}
			if c := causes(r); c["user_banned"] != 1 || c["invalid_code"] != 1 {
				t.Fatalf("failed by cause from the history: %v", c)
			}
		}),
		// The platform overview adds up every tenant: acme's logins, globex none.
		{name: "the platform overview", method: "GET", path: "/admin/api/usage?days=30",
			header: adminHeader(e.callers[platform]), status: 200,
			check: func(t *testing.T, r response) {
				if pl := nums(r, "logins"); len(pl) != 30 || pl[last-1] != 5 || r.num("tenant_count") != 1 {
					t.Fatalf("platform: %v logins by day, %v tenants with use", pl, r.num("tenant_count"))
				}
				if top := r.list("tenants"); len(top) != 1 || get[string](t, top[0], "slug") != "acme" || get[float64](t, top[0], "logins") != 5 {
					t.Fatalf("platform top tenants: %v", top)
				}
			}},
	})
}

// TestUsageRefusals: bad windows, apps and ways are 400 and a tenant
// admin sees neither another tenant's use nor the platform's.
func TestUsageRefusals(t *testing.T) {
	e := newAdminEnv(t)
	var rows []scenario
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
		rows = append(rows, scenario{name: fmt.Sprintf("%v %s", tc.who, tc.path), path: tc.path,
			header: adminHeader(e.callers[tc.who]), status: tc.status, code: tc.code})
	}
	// A login refused at the address's budget, before the sign-in core,
	// is counted by its cause too (for the mini-program, with no app yet).
	rows = append(rows, scenario{name: "a login refused at the address's budget", method: "GET",
		path: "/admin/api/tenants/acme/usage?way=miniprogram", header: adminHeader(e.callers[platform]), status: 200,
		before: func(e *env) {
			e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
			// How many logins a budget of one lets through before the
			// first refusal is not exact (a node may let a light key's
			// first requests through uncharged), so the logins run until
			// one is refused rather than as rows of fixed answers.
			refused := 0
			for i := 0; i < 5 && refused == 0; i++ {
				switch r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(fmt.Sprint("dee", i))+`"}`); {
				case r.Status == 429 && r.errCode() == "rate_limited":
					refused++
				case r.Status != 200:
					e.t.Fatalf("login: %d %s", r.Status, r.Raw)
				}
			}
			if refused == 0 {
				e.t.Fatal("a budget of one login a minute let five through")
			}
		},
		check: func(t *testing.T, r response) {
			if c := causes(r); len(c) != 1 || c["rate_limited"] != 1 {
				t.Fatalf("failed by cause %v, want rate_limited 1", c)
			}
		}})
	runScenarios(t, e.env, scenario{method: "GET"}, rows)
}

// TestUsageCountsSignUps: under the signup policy a login that hands out
// a ticket is neither a login nor a refusal; the sign-up with the ticket
// is a new user of the way it came from (the mini-program, by its app).
func TestUsageCountsSignUps(t *testing.T) {
	e := newAdminEnv(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	var ticket string
	today := func(t *testing.T, r response, key string) int64 {
		t.Helper()
		v := nums(r, key)
		if len(v) != len(r.list("days")) || len(v) == 0 {
			t.Fatalf("%s: %d values for %d days", key, len(v), len(r.list("days")))
		}
		return v[len(v)-1]
	}
	usage := scenario{method: "GET", path: "/admin/api/tenants/acme/usage", header: adminHeader(e.callers[own]), status: 200}
	before, after := usage, usage
	before.name, before.check = "no login, no failure", func(t *testing.T, r response) {
		if l, f := today(t, r, "logins"), today(t, r, "failed"); l != 0 || f != 0 {
			t.Fatalf("a ticket handed out counted as %d logins and %d failures", l, f)
		}
	}
	after.name, after.check = "one login, one new user", func(t *testing.T, r response) {
		if l, n, d := today(t, r, "logins"), today(t, r, "new_users"), today(t, r, "dau"); l != 1 || n != 1 || d != 1 {
			t.Fatalf("after the sign-up: %d logins, %d new users, DAU %d; want 1, 1, 1", l, n, d)
		}
		if ways := r.list("ways"); len(ways) != 1 || get[string](t, ways[0], "way") != "miniprogram" {
			t.Fatalf("the sign-up's way: %v", ways)
		}
	}
	runStory(t, e.env, scenario{}, []scenario{
		{name: "login under signup", path: "/t/acme/login", status: 200,
			bodyFn: func(e *env) string { return `{"code":"` + e.code("newcomer") + `"}` },
			check: func(t *testing.T, r response) {
				ticket = r.str("signup_ticket")
				remember(ticket, "signup ticket")
			}},
		before,
		{name: "register", path: "/t/acme/register", bodyFn: func(*env) string { return `{"signup_ticket":"` + ticket + `"}` },
			status: 200, delta: state{1, 1, 1}},
		after,
	})
}
