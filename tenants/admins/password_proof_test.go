package admins_test

import (
	"testing"

	"miniauth/tenants/admins"
)

// TestDisableMFAWithPassword: an admin turns its own MFA off with its
// password; a wrong one changes nothing and counts in the lockout, which
// then refuses even the right one.
func TestDisableMFAWithPassword(t *testing.T) {
	w := newWorld(t)
	ta := w.admin("ta@acme.example", w.tenantID)
	w.enrol(ta)
	by := w.actor(ta)

	is(t, "no password", w.accounts.DisableMFAWithPassword(w.ctx, by, ""), admins.ErrBadPassword)
	is(t, "wrong password", w.accounts.DisableMFAWithPassword(w.ctx, by, "not the password"), admins.ErrBadPassword, "not the password")
	if on, _ := w.mfa.Enabled(w.ctx, ta.ID); !on {
		t.Fatal("a wrong password turned MFA off")
	}
	if err := w.accounts.DisableMFAWithPassword(w.ctx, by, password); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if on, _ := w.mfa.Enabled(w.ctx, ta.ID); on {
		t.Fatal("still on")
	}
	if w.audited("admin.mfa_disabled", ta.Email) != 1 {
		t.Fatal("not audited")
	}
	is(t, "already off", w.accounts.DisableMFAWithPassword(w.ctx, by, password), admins.ErrMFANotEnrolled)

	// testPolicy locks at the 4th failure: with 1 counted above, 3 more.
	tb := w.admin("tb@acme.example", w.tenantID)
	w.enrol(tb)
	for range 4 {
		_ = w.accounts.DisableMFAWithPassword(w.ctx, w.actor(tb), "not the password")
	}
	is(t, "locked, right password", w.accounts.DisableMFAWithPassword(w.ctx, w.actor(tb), password), admins.ErrLockedOut)
}

// TestInviteOf: the invite page learns whom a token invites, and the
// same tokens are refused as by AcceptInvite.
func TestInviteOf(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	iv, err := w.accounts.Invite(w.ctx, w.actor(p), admins.Invitation{Email: "new@acme.example", Role: admins.RoleTenant, TenantID: w.tenantID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.accounts.InviteOf(w.ctx, iv.Token)
	if err != nil || got.Email != "new@acme.example" || got.Role != admins.RoleTenant || got.TenantID != w.tenantID ||
		!got.ExpiresAt.Equal(iv.ExpiresAt) {
		t.Fatalf("InviteOf: %+v, %v", got, err)
	}
	_, err = w.accounts.InviteOf(w.ctx, iv.Token[:42]+"B")
	is(t, "made-up token", err, admins.ErrInvalidInvite, iv.Token)
	if _, err := w.accounts.AcceptInvite(w.ctx, iv.Token, "a much longer passphrase", ip); err != nil {
		t.Fatal(err)
	}
	_, err = w.accounts.InviteOf(w.ctx, iv.Token)
	is(t, "used", err, admins.ErrInvalidInvite, iv.Token)

	iv2, err := w.accounts.Invite(w.ctx, w.actor(p), admins.Invitation{Email: "late@acme.example", Role: admins.RolePlatform})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Add(admins.InviteFor)
	_, err = w.accounts.InviteOf(w.ctx, iv2.Token)
	is(t, "expired", err, admins.ErrInvalidInvite, iv2.Token)
}
