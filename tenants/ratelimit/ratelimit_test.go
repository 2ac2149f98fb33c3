package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"miniauth/tenants/ratelimit"
	"miniauth/tenants/tenantstest"
)

func TestBudgets(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	lim := ratelimit.New(rdb, prefix)
	l := ratelimit.Limits{LoginPerIPPerMinute: 5, LoginPerIdentityPerMinute: 2, SessionPerTokenPerMinute: 3, APIKeyPerSecond: 4}

	// spend makes requests until one is refused (at most n) and says how
	// many were allowed before, and how long they took: the budgets refill
	// in real time (Redis's clock), so a slow machine may earn a few back
	// while it spends.
	spend := func(n int, f func() error) (allowed int, took time.Duration, last error) {
		start := time.Now()
		for range n {
			if last = f(); last != nil {
				break
			}
			allowed++
		}
		return allowed, time.Since(start), last
	}
	cases := []struct {
		name  string
		f     func() error
		want  int
		per   time.Duration // the budget is want per per
		other func() error  // the same budget of someone else: untouched
	}{
		{"login per ip", func() error { return lim.Login(ctx, 1, "10.0.0.1", l) }, 5, time.Minute,
			func() error { return lim.Login(ctx, 1, "10.0.0.2", l) }},
		{"login per identity", func() error { return lim.Identity(ctx, 1, 7, "oALICE", l) }, 2, time.Minute,
			func() error { return lim.Identity(ctx, 1, 7, "oBOB", l) }},
		{"session", func() error { return lim.Session(ctx, 1, "sid-a", l) }, 3, time.Minute,
			func() error { return lim.Session(ctx, 2, "sid-a", l) }}, // same id, other tenant
		{"api key", func() error { return lim.APIKey(ctx, 1, "key-a", l) }, 4, time.Second,
			func() error { return lim.APIKey(ctx, 1, "key-b", l) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			allowed, took, last := spend(c.want+100, c.f)
			if refill := refilled(c.want, c.per, took); allowed < c.want || allowed > c.want+refill {
				t.Fatalf("allowed %d before a refusal in %s, want %d (+%d refilled)", allowed, took, c.want, refill)
			}
			var ex *ratelimit.Exceeded
			if !errors.As(last, &ex) || ex.RetryAfter <= 0 {
				t.Fatalf("over budget: %v, want *Exceeded with a RetryAfter", last)
			}
			if err := c.other(); err != nil {
				t.Fatalf("another's budget was spent too: %v", err)
			}
		})
	}
	if err := (ratelimit.Limits{LoginPerIPPerMinute: -1}).Validate(); err == nil {
		t.Fatal("a negative limit was accepted")
	}
}

// Two nodes share a token's budget through Redis: spread over both, the
// token gets its budget, less at most the block each node holds.
func TestSessionBudgetAcrossNodes(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	a, b := ratelimit.New(rdb, prefix), ratelimit.New(rdb, prefix)
	l := ratelimit.Limits{SessionPerTokenPerMinute: 80}
	allowed := 0
	start := time.Now()
	for i := range 200 {
		node := a
		if i%2 == 1 {
			node = b
		}
		err := node.Session(ctx, 1, "sid-shared", l)
		var ex *ratelimit.Exceeded
		switch {
		case err == nil:
			allowed++
		case !errors.As(err, &ex):
			t.Fatal(err)
		}
	}
	// Each node may hold an unused block of 10 that Redis already counts;
	// a slow machine may earn some back while it spends.
	if refill := refilled(80, time.Minute, time.Since(start)); allowed < 80-2*10 || allowed > 80+refill {
		t.Fatalf("two nodes let %d requests through on a budget of 80 (+%d refilled)", allowed, refill)
	}
}

// refilled is the most requests a budget of rate per per can earn back in
// d: one per emission interval, rounded up.
func refilled(rate int, per, d time.Duration) int {
	interval := per / time.Duration(rate)
	return int((d + interval - 1) / interval)
}
