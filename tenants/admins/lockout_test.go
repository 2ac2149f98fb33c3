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

// TestLockoutSpellings: the spellings that reach one admin share one
// failure count, whatever mix of them a guesser types; a spelling that
// reaches another address counts apart.
func TestLockoutSpellings(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	l := admins.NewLockout(rdb, prefix, admins.LockoutPolicy{Window: time.Minute,
		AccountSlow: 4, AccountLock: 4, IPSlow: 100, IPLock: 100, LockFor: 10 * time.Minute, MaxSlow: time.Minute})
	spellings := []string{"OPS@ACME.EXAMPLE", "ops\u200b@acme.example", "ｏｐｓ@acme.example", "\ufeffOps@Acme.Example "}
	for i, s := range spellings {
		locked, err := l.Failure(ctx, s, "10.0.0."+string(rune('1'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if locked != (i == len(spellings)-1) {
			t.Fatalf("failure %d (%q): locked = %v", i+1, s, locked)
		}
	}
	for _, s := range []string{"ops@acme.example", "Ops\u200d@acme.example"} {
		if d, err := l.Wait(ctx, s, "10.0.0.9"); err != nil || d < 5*time.Minute {
			t.Fatalf("%q after %d failures of mixed spellings: wait %v, %v; want the lock", s, len(spellings), d, err)
		}
	}
	if d, err := l.Wait(ctx, "öps@acme.example", "10.0.0.9"); err != nil || d != 0 {
		t.Fatalf("another address: wait %v, %v; want none", d, err)
	}
	// A malformed email counts against its IP only.
	if locked, err := l.Failure(ctx, "correct horse battery", "10.0.0.9"); err != nil || locked {
		t.Fatalf("malformed email: locked %v, %v", locked, err)
	}
	if d, err := l.Wait(ctx, "correct horse battery", "10.0.0.8"); err != nil || d != 0 {
		t.Fatalf("malformed email from another IP: wait %v, %v", d, err)
	}
}
