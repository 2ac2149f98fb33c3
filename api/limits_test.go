package api_test

import (
	"context"
	"encoding/json"
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

func TestRateLimits(t *testing.T) {
	t.Run("login per address ignores an untrusted X-Forwarded-For", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 3})
		for i := range 3 {
			e.login("user" + strconv.Itoa(i))
		}
		before := e.state()
		r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("late")+`"}`, "X-Forwarded-For", "203.0.113.9")
		if r.Status != 429 || r.errCode() != "rate_limited" {
			t.Fatalf("4th login from one address: %d %s", r.Status, r.Raw)
		}
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
		}
		if after := e.state(); after != before {
			t.Fatalf("a limited login changed state: %+v → %+v", before, after)
		}
		if calls := e.wx.Calls("jscode2session"); calls != 3 {
			t.Fatalf("WeChat saw %d calls; a limited login must not reach it", calls)
		}
	})

	t.Run("login per address behind a trusted proxy", func(t *testing.T) {
		e := newEnv(t, func(d *api.Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
		for i, ip := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
			r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("nat"+strconv.Itoa(i))+`"}`, "X-Forwarded-For", ip)
			if r.Status != 200 {
				t.Fatalf("first login from %s: %d %s", ip, r.Status, r.Raw)
			}
		}
		r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("again")+`"}`, "X-Forwarded-For", "203.0.113.1")
		if r.Status != 429 {
			t.Fatalf("second login from 203.0.113.1: %d", r.Status)
		}
	})

	t.Run("login per identity", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{LoginPerIdentityPerMinute: 2})
		e.login("alice")
		e.login("alice")
		if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 429 {
			t.Fatalf("3rd login of one person: %d %s", r.Status, r.Raw)
		}
		e.login("bob") // others are not affected
	})

	t.Run("per session token", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{SessionPerTokenPerMinute: 3})
		alice, bob := e.login("alice"), e.login("bob")
		for range 3 {
			if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 200 {
				t.Fatalf("/me within budget: %d", r.Status)
			}
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("/me over budget: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(bob)...); r.Status != 200 {
			t.Fatalf("another session was limited too: %d", r.Status)
		}
	})

	t.Run("logout is never rate-limited away", func(t *testing.T) {
		e := newEnv(t)
		e.setLimits(ratelimit.Limits{SessionPerTokenPerMinute: 2})
		stolen := e.login("alice")
		for range 3 { // the thief spends the token's budget
			e.do("GET", "/t/acme/me", "", bearer(stolen)...)
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(stolen)...); r.Status != 429 {
			t.Fatalf("/me over budget: %d %s", r.Status, r.Raw)
		}
		if r := e.do("POST", "/t/acme/logout", "", bearer(stolen)...); r.Status != 204 {
			t.Fatalf("the owner's logout: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(stolen)...); r.Status != 401 {
			t.Fatalf("/me after logout: %d %s", r.Status, r.Raw)
		}
		if r := e.do("POST", "/t/acme/logout", "", bearer(stolen)...); r.Status != 401 {
			t.Fatalf("logout needs a live session: %d %s", r.Status, r.Raw)
		}
	})
}
