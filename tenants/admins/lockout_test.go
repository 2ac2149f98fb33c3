package admins_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/admins"
	"miniauth/tenants/tenantstest"
)

func TestLockout(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	l := admins.NewLockout(rdb, prefix, admins.LockoutPolicy{Window: time.Minute,
		AccountSlow: 2, AccountLock: 4, IPSlow: 6, IPLock: 8, LockFor: 10 * time.Minute, MaxSlow: time.Minute})

	wait := func(email, ip string) time.Duration {
		t.Helper()
		d, err := l.Wait(ctx, email, ip)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	fail := func(email, ip string) bool {
		t.Helper()
		locked, err := l.Failure(ctx, email, ip)
		if err != nil {
			t.Fatal(err)
		}
		return locked
	}

	steps := []struct {
		name       string
		act        func() bool
		wantLocked bool
		email, ip  string
		waitAtLeat time.Duration // wait for (email, ip) afterwards; 0 = none
	}{
		{"first failure is free", func() bool { return fail("a@x.example", "10.0.0.1") }, false, "a@x.example", "10.0.0.1", 0},
		{"second failure slows down", func() bool { return fail("A@X.example ", "10.0.0.1") }, false, "a@x.example", "10.0.0.1", time.Millisecond},
		{"another account from the same IP is free", func() bool { return false }, false, "b@x.example", "10.0.0.1", 0},
		{"third failure", func() bool { return fail("a@x.example", "10.0.0.1") }, false, "a@x.example", "10.0.0.2", time.Millisecond},
		{"fourth locks the account", func() bool { return fail("a@x.example", "10.0.0.1") }, true, "a@x.example", "10.0.0.3", 5 * time.Minute},
		{"success clears the account", func() bool { _ = l.Success(ctx, "a@x.example"); return false }, false, "a@x.example", "10.0.0.3", 0},
		{"IP failures 5 to 8 over many accounts", func() bool {
			locked := false
			for _, e := range []string{"c@x.example", "d@x.example", "e@x.example", "f@x.example"} {
				locked = fail(e, "10.0.0.1") || locked
			}
			return locked
		}, true, "new@x.example", "10.0.0.1", 5 * time.Minute},
		{"the IP lock binds no other IP", func() bool { return false }, false, "new@x.example", "10.0.0.9", 0},
	}
	for _, s := range steps {
		if got := s.act(); got != s.wantLocked {
			t.Fatalf("%s: locked = %v, want %v", s.name, got, s.wantLocked)
		}
		d := wait(s.email, s.ip)
		if (s.waitAtLeat == 0) != (d == 0) || d < s.waitAtLeat {
			t.Fatalf("%s: wait %v, want at least %v (0 means none)", s.name, d, s.waitAtLeat)
		}
	}
}
