package admins_test

import (
	"errors"
	"sync"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/admins"
)

// TestLastPlatformAdmin: the last active platform admin can be neither
// disabled nor removed, by anyone, itself included; only platform admins
// manage accounts.
func TestLastPlatformAdmin(t *testing.T) {
	w := newWorld(t)
	p1 := w.admin("p1@acme.example", 0)
	p2 := w.admin("p2@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	by := w.actor(p1)

	is(t, "a tenant admin disables", w.accounts.Disable(w.ctx, w.actor(ta), p2.ID), admins.ErrForbidden)
	is(t, "a tenant admin removes", w.accounts.Remove(w.ctx, w.actor(ta), p2.ID), admins.ErrForbidden)
	if _, err := w.accounts.List(w.ctx, w.actor(ta)); !errors.Is(err, admins.ErrForbidden) {
		t.Fatalf("a tenant admin lists: %v", err)
	}
	if err := w.accounts.Disable(w.ctx, by, p2.ID); err != nil {
		t.Fatal(err)
	}
	is(t, "disable the last", w.accounts.Disable(w.ctx, by, p1.ID), admins.ErrLastPlatformAdmin)
	is(t, "remove the last", w.accounts.Remove(w.ctx, by, p1.ID), admins.ErrLastPlatformAdmin)
	if err := w.accounts.Remove(w.ctx, by, ta.ID); err != nil {
		t.Fatalf("remove a tenant admin: %v", err)
	}
	if err := w.accounts.Enable(w.ctx, by, p2.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.accounts.Remove(w.ctx, by, p2.ID); err != nil {
		t.Fatal(err)
	}
	is(t, "remove the last again", w.accounts.Remove(w.ctx, by, p1.ID), admins.ErrLastPlatformAdmin)
	is(t, "remove nobody", w.accounts.Remove(w.ctx, by, 999999), admins.ErrNotFound)
	for action, target := range map[string]string{"admin.disabled": p2.Email, "admin.enabled": p2.Email,
		"admin.deleted": ta.Email} {
		if w.audited(action, target) != 1 {
			t.Fatalf("%s of %s not audited once", action, target)
		}
	}
	var n int
	if err := w.db.Get(&n, `SELECT COUNT(*) FROM admins WHERE role = 'platform' AND status = 'active'`); err != nil || n != 1 {
		t.Fatalf("%d active platform admins, %v", n, err)
	}

	// Two platform admins disabling each other at once: one of them stays.
	p3 := w.admin("p3@acme.example", 0)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = w.accounts.Disable(w.ctx, w.actor(p1), p3.ID) })
	wg.Go(func() { errs[1] = w.accounts.Disable(w.ctx, w.actor(p3), p1.ID) })
	wg.Wait()
	if err := w.db.Get(&n, `SELECT COUNT(*) FROM admins WHERE role = 'platform' AND status = 'active'`); err != nil || n != 1 {
		t.Fatalf("after racing disables (%v, %v): %d active platform admins", errs[0], errs[1], n)
	}
}

// TestDisableEndsSessions: disabling or removing an admin ends every
// console session it has, and it cannot sign in again until enabled.
func TestDisableEndsSessions(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	var tokens []string
	for range 2 {
		tok, _, err := w.console.Create(w.ctx, ta.ID)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	rootTok, _, _ := w.console.Create(w.ctx, p.ID)
	if err := w.accounts.Disable(w.ctx, w.actor(p), ta.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if _, err := w.console.Get(w.ctx, tok); !errors.Is(err, admins.ErrNoSession) {
			t.Fatalf("a disabled admin's session: %v", err)
		}
	}
	if _, err := w.console.Get(w.ctx, rootTok); err != nil {
		t.Fatalf("the acting admin's session: %v", err)
	}
	_, err := w.signIn.Password(w.ctx, ta.Email, password, ip)
	is(t, "sign-in while disabled", err, admins.ErrBadPassword)
	if err := w.accounts.Enable(w.ctx, w.actor(p), ta.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.signIn.Password(w.ctx, ta.Email, password, ip); err != nil {
		t.Fatalf("sign-in after enabling: %v", err)
	}
	tok, _, _ := w.console.Create(w.ctx, ta.ID)
	if err := w.accounts.Remove(w.ctx, w.actor(p), ta.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.console.Get(w.ctx, tok); !errors.Is(err, admins.ErrNoSession) {
		t.Fatalf("a removed admin's session: %v", err)
	}
}

// TestList: every admin with its status, MFA and last sign-in.
func TestList(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	w.enrol(ta)
	if err := w.store.TouchLogin(w.ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.Invite(w.ctx, w.actor(p), admins.Invitation{Email: "New@Acme.Example", Role: admins.RoleTenant, TenantID: w.tenantID}); err != nil {
		t.Fatal(err)
	}
	list, err := w.accounts.List(w.ctx, w.actor(p))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		email, role, tenant, status string
		mfa, signedIn               bool
	}
	want := []row{
		{"root@acme.example", "platform", "", "active", false, true},
		{"new@acme.example", "tenant", "acme", "invited", false, false},
		{"ta@acme.example", "tenant", "acme", "active", true, false},
	}
	if len(list) != len(want) {
		t.Fatalf("%d admins listed: %+v", len(list), list)
	}
	for i, l := range list {
		got := row{l.Email, l.Role, l.TenantSlug.String, l.Status, l.MFA, l.LastLoginAt.Valid}
		if got != want[i] {
			t.Fatalf("row %d: %+v, want %+v", i, got, want[i])
		}
	}
}

// TestChangePassword: the current password is required (a wrong one
// counts in the lockout), the policy applies, and every other console
// session of the admin ends.
func TestChangePassword(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", w.tenantID)
	_, here, _ := w.console.Create(w.ctx, a.ID)
	there, _, _ := w.console.Create(w.ctx, a.ID)
	by := admins.Actor{Admin: a, Session: here, IP: ip}
	const next = "a much longer passphrase"

	err := w.accounts.ChangePassword(w.ctx, by, "wrong password!", next)
	is(t, "wrong current", err, admins.ErrBadPassword, "wrong password!", next)
	if d, _ := w.lockout.Wait(w.ctx, a.Email, ip); d != 0 {
		t.Fatal("unexpected wait")
	}
	for _, bad := range []string{"short", "OPS@acme.example", "ops@acme.example", "\u200bops@ACME.example"} {
		err := w.accounts.ChangePassword(w.ctx, by, password, bad)
		is(t, "policy: "+bad, err, tenants.ErrInvalid, bad)
	}
	if _, err := w.store.Authenticate(w.ctx, a.Email, password); err != nil {
		t.Fatalf("refused changes changed the password: %v", err)
	}
	if err := w.accounts.ChangePassword(w.ctx, by, password, next); err != nil {
		t.Fatal(err)
	}
	if _, err := w.console.Get(w.ctx, there); !errors.Is(err, admins.ErrNoSession) {
		t.Fatalf("another session after the change: %v", err)
	}
	if s, err := w.redisSession(here); err != nil || !s {
		t.Fatalf("the session the change was made from: %v, %v", s, err)
	}
	if _, err := w.store.Authenticate(w.ctx, a.Email, next); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if _, err := w.store.Authenticate(w.ctx, a.Email, password); !errors.Is(err, admins.ErrBadPassword) {
		t.Fatalf("the old password: %v", err)
	}
	if w.audited("admin.password_changed", a.Email) != 1 {
		t.Fatal("not audited")
	}
	// Wrong current passwords lock like failed sign-ins.
	for range 4 {
		_ = w.accounts.ChangePassword(w.ctx, by, "wrong password!", "another long passphrase")
	}
	err = w.accounts.ChangePassword(w.ctx, by, next, "another long passphrase")
	is(t, "after four wrong current passwords", err, admins.ErrLockedOut, next)
}

// redisSession reports whether the console session s is still in Redis.
func (w *world) redisSession(s *admins.ConsoleSession) (bool, error) {
	n, err := w.rdb.Exists(w.ctx, w.prefix+":admin:s:"+s.ID).Result()
	return n == 1, err
}
