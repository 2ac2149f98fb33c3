package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"testing"

	"miniauth/api"
	"miniauth/tenants/ratelimit"
)

// setLimits gives the test tenant its own budgets.
func (e *env) setLimits(l ratelimit.Limits) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"rate_limits": l})
	if _, err := e.db.Exec("UPDATE tenants SET settings = ? WHERE id = ?", b, e.tenant.ID); err != nil {
		e.t.Fatal(err)
	}
	e.reg.Invalidate(context.Background(), "acme")
}

// limitedLogin is a login of user with a fresh code.
func limitedLogin(name, user string, status int, delta state) scenario {
	sc := scenario{name: name, path: "/t/acme/login", status: status, delta: delta,
		bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` }}
	if status == 429 {
		sc.code = "rate_limited"
	}
	return sc
}

func TestRateLimits(t *testing.T) {
	t.Run("login per address ignores an untrusted X-Forwarded-For", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 3})
		for i := range 3 {
			e.login("user" + strconv.Itoa(i))
		}
		// A refusal changes nothing: the runner checks it.
		late := limitedLogin("4th login from one address", "late", 429, state{})
		late.header = []string{"X-Forwarded-For", "203.0.113.9"}
		late.check = func(t *testing.T, r response) {
			if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
			if calls := e.wx.Calls("jscode2session"); calls != 3 {
				t.Fatalf("WeChat saw %d calls; a limited login must not reach it", calls)
			}
		}
		runScenarios(t, e, scenario{}, []scenario{late})
	})

	t.Run("login per address behind a trusted proxy", func(t *testing.T) {
		e := newEnv(t, func(d *api.Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
		var rows []scenario
		for i, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
			sc := limitedLogin("first login from "+ip, "nat"+strconv.Itoa(i), 200, state{1, 1, 1})
			sc.header = []string{"X-Forwarded-For", ip}
			rows = append(rows, sc)
		}
		again := limitedLogin("second login from 203.0.113.1", "again", 429, state{})
		again.header = []string{"X-Forwarded-For", "203.0.113.1"}
		runScenarios(t, e, scenario{}, append(rows, again))
	})

	t.Run("login per identity", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{LoginPerIdentityPerMinute: 2})
		e.login("alice")
		e.login("alice")
		bob := limitedLogin("others are not affected", "bob", 200, state{1, 1, 1})
		bob.check = func(t *testing.T, r response) { remember(e.wx.SessionKey(demoAppID, "bob"), "session_key") }
		runScenarios(t, e, scenario{}, []scenario{limitedLogin("3rd login of one person", "alice", 429, state{}), bob})
	})

	t.Run("per session token", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{SessionPerTokenPerMinute: 3})
		alice, bob := e.login("alice"), e.login("bob")
		var rows []scenario
		for i := range 3 {
			rows = append(rows, scenario{name: fmt.Sprintf("GET /me %d within budget", i+1), header: bearer(alice), status: 200})
		}
		rows = append(rows,
			scenario{name: "GET /me over budget", header: bearer(alice), status: 429, code: "rate_limited",
				check: func(t *testing.T, r response) {
					if r.Header.Get("Retry-After") == "" {
						t.Fatal("429 without Retry-After")
					}
				}},
			scenario{name: "another session is not limited", header: bearer(bob), status: 200})
		runStory(t, e, scenario{method: "GET", path: "/t/acme/me"}, rows)
	})

	t.Run("logout is never rate-limited away", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{SessionPerTokenPerMinute: 2})
		stolen := e.login("alice")
		runStory(t, e, scenario{method: "GET", path: "/t/acme/me", header: bearer(stolen)}, []scenario{
			// The thief spends the token's budget.
			{name: "the thief's /me 1", status: 200},
			{name: "the thief's /me 2", status: 200},
			{name: "the thief's /me 3", status: 429, code: "rate_limited"},
			{name: "GET /me over budget", status: 429, code: "rate_limited"},
			{name: "the owner's logout", method: "POST", path: "/t/acme/logout", status: 204, delta: state{0, 0, -1}},
			{name: "GET /me after logout", status: 401},
			{name: "logout needs a live session", method: "POST", path: "/t/acme/logout", status: 401},
		})
	})
}
