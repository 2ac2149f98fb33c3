package admins_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/admins"
)

// TestInvite: an invite is a one-time link, kept only as a hash, bound to
// its role and tenant, that sets the password and activates the account
// once, within InviteFor.
func TestInvite(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	by := w.actor(p)
	const pw = "a much longer passphrase"

	_, err := w.accounts.Invite(w.ctx, w.actor(ta), admins.Invitation{Email: "x@acme.example", Role: admins.RoleTenant, TenantID: w.tenantID})
	is(t, "a tenant admin invites", err, admins.ErrForbidden)
	for name, inv := range map[string]admins.Invitation{
		"taken, another spelling": {Email: "TA\u200b@acme.example", Role: admins.RoleTenant, TenantID: w.tenantID},
		"bad email":               {Email: "nobody", Role: admins.RolePlatform},
		"tenant role, no tenant":  {Email: "x@acme.example", Role: admins.RoleTenant},
		"no such tenant":          {Email: "x@acme.example", Role: admins.RoleTenant, TenantID: 999999},
	} {
		if _, err := w.accounts.Invite(w.ctx, by, inv); !errors.Is(err, admins.ErrEmailTaken) &&
			!errors.Is(err, tenants.ErrInvalid) && !errors.Is(err, tenants.ErrNotFound) {
			t.Fatalf("%s: %v", name, err)
		}
	}

	iv, err := w.accounts.Invite(w.ctx, by, admins.Invitation{Email: " New@Acme.Example", Role: admins.RoleTenant, TenantID: w.tenantID})
	if err != nil {
		t.Fatal(err)
	}
	if iv.Admin.Email != "new@acme.example" || iv.Admin.Status != "invited" || iv.Admin.Role != admins.RoleTenant ||
		iv.Admin.TenantID.Int64 != w.tenantID || iv.Path != "/console/#/invite/"+iv.Token ||
		!iv.ExpiresAt.Equal(w.clock.Now().Add(72*time.Hour)) {
		t.Fatalf("invite: %+v", iv)
	}
	var stored []byte
	if err := w.db.Get(&stored, `SELECT token_hash FROM admin_invites WHERE admin_id = ?`, iv.Admin.ID); err != nil ||
		bytes.Contains(stored, []byte(iv.Token)) || len(stored) != 32 {
		t.Fatalf("stored token: %x, %v", stored, err)
	}
	var details string
	if err := w.db.Get(&details, `SELECT details FROM audit_log WHERE action = 'admin.invited' AND target_id = ?`, iv.Admin.Email); err != nil ||
		strings.Contains(details, iv.Token) {
		t.Fatalf("audit %q, %v", details, err)
	}
	_, err = w.signIn.Password(w.ctx, iv.Admin.Email, "", ip)
	is(t, "sign-in before accepting", err, admins.ErrBadPassword)

	for _, bad := range []string{"short", "NEW@acme.example"} {
		_, err := w.accounts.AcceptInvite(w.ctx, iv.Token, bad, ip)
		is(t, "policy: "+bad, err, tenants.ErrInvalid, iv.Token, bad)
	}
	for _, tok := range []string{"", "nonsense", strings.Repeat("A", 43), iv.Token[:42] + "B"} {
		_, err := w.accounts.AcceptInvite(w.ctx, tok, pw, ip)
		is(t, "made-up token", err, admins.ErrInvalidInvite, iv.Token, pw)
	}
	a, err := w.accounts.AcceptInvite(w.ctx, iv.Token, pw, ip)
	if err != nil || a.Status != "active" || a.ID != iv.Admin.ID {
		t.Fatalf("accept: %+v, %v", a, err)
	}
	_, err = w.accounts.AcceptInvite(w.ctx, iv.Token, "yet another passphrase", ip)
	is(t, "accept twice", err, admins.ErrInvalidInvite, iv.Token)
	if _, err := w.store.Authenticate(w.ctx, "new@acme.example", pw); err != nil {
		t.Fatalf("the password set by the invite: %v", err)
	}
	if _, err := w.store.Authenticate(w.ctx, "new@acme.example", "yet another passphrase"); err == nil {
		t.Fatal("the second accept set the password")
	}
	if w.audited("admin.invite_accepted", "new@acme.example") != 1 {
		t.Fatal("acceptance not audited")
	}
	_, err = w.accounts.ReissueInvite(w.ctx, by, a.ID)
	is(t, "reissue for an active admin", err, admins.ErrNotFound)
}

// TestInviteExpiry: an invite dies after InviteFor; a reissued one
// replaces the old link; disabling or removing the invited admin kills it.
func TestInviteExpiry(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	by := w.actor(p)
	const pw = "a much longer passphrase"
	iv, err := w.accounts.Invite(w.ctx, by, admins.Invitation{Email: "late@acme.example", Role: admins.RolePlatform})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Add(admins.InviteFor)
	_, err = w.accounts.AcceptInvite(w.ctx, iv.Token, pw, ip)
	is(t, "accept at expiry", err, admins.ErrInvalidInvite, iv.Token)

	again, err := w.accounts.ReissueInvite(w.ctx, by, iv.Admin.ID)
	if err != nil || again.Token == iv.Token {
		t.Fatalf("reissue: %v", err)
	}
	w.clock.Add(-admins.InviteFor) // the old link is gone, not merely expired
	_, err = w.accounts.AcceptInvite(w.ctx, iv.Token, pw, ip)
	is(t, "the old link after reissue", err, admins.ErrInvalidInvite, iv.Token)
	w.clock.Add(admins.InviteFor - time.Second)
	if err := w.accounts.Disable(w.ctx, by, again.Admin.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.accounts.AcceptInvite(w.ctx, again.Token, pw, ip)
	is(t, "accept while disabled", err, admins.ErrInvalidInvite, again.Token)
	if err := w.accounts.Enable(w.ctx, by, again.Admin.ID); err != nil {
		t.Fatal(err)
	}
	if a, _ := w.store.ByID(w.ctx, again.Admin.ID); a.Status != "invited" {
		t.Fatalf("enabled without a password: status %q", a.Status)
	}
	if _, err := w.accounts.AcceptInvite(w.ctx, again.Token, pw, ip); err != nil {
		t.Fatalf("accept a second before expiry: %v", err)
	}

	gone, _ := w.accounts.Invite(w.ctx, by, admins.Invitation{Email: "gone@acme.example", Role: admins.RolePlatform})
	if err := w.accounts.Remove(w.ctx, by, gone.Admin.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.accounts.AcceptInvite(w.ctx, gone.Token, pw, ip)
	is(t, "accept after removal", err, admins.ErrInvalidInvite, gone.Token)
}
