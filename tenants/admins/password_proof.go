package admins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// verifyPassword checks the acting admin's own password, for a change
// that needs it again although the admin is signed in: a wrong one is
// ErrBadPassword and counts in the lockout like a failed sign-in, and
// none is checked while the lockout says wait. It returns the admin as
// stored now.
func (m *Accounts) verifyPassword(ctx context.Context, by Actor, password string) (*Admin, error) {
	a, err := m.store.ByID(ctx, by.Admin.ID)
	if err != nil {
		return nil, err
	}
	if a.Status != "active" {
		return nil, ErrBadPassword
	}
	if wait, err := m.lockout.Wait(ctx, a.Email, by.IP); err != nil {
		return nil, err
	} else if wait > 0 {
		return nil, &WaitError{Wait: wait}
	}
	ok, err := m.store.passwordMatches(ctx, a.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		if _, err := m.lockout.Failure(ctx, a.Email, by.IP); err != nil {
			return nil, err
		}
		return nil, ErrBadPassword
	}
	return a, nil
}

// DisableMFAWithPassword turns off the acting admin's own MFA with its
// password instead of a code (MFA.DisableMFA): for an admin whose
// authenticator is at hand but who would rather prove it with what it
// knows. A wrong password counts in the lockout.
func (m *Accounts) DisableMFAWithPassword(ctx context.Context, by Actor, password string) error {
	if m.mfa == nil {
		return errors.New("admins: accounts without MFA")
	}
	if password == "" {
		return ErrBadPassword
	}
	if _, err := m.verifyPassword(ctx, by, password); err != nil {
		return err
	}
	return m.mfa.disable(ctx, by, by.Admin.ID, true)
}

// PendingInvite is what an invite link says before it is accepted: who
// is invited, as what, until when.
type PendingInvite struct {
	Email     string
	Role      string
	TenantID  int64
	ExpiresAt time.Time
}

// InviteOf tells the invite page whom a token invites; it spends nothing.
// ErrInvalidInvite exactly when AcceptInvite would say so.
func (m *Accounts) InviteOf(ctx context.Context, token string) (*PendingInvite, error) {
	if !wellFormed(token) {
		return nil, ErrInvalidInvite
	}
	var r struct {
		Email     string     `db:"email"`
		Role      string     `db:"role"`
		TenantID  *int64     `db:"tenant_id"`
		Status    string     `db:"status"`
		ExpiresAt time.Time  `db:"expires_at"`
		UsedAt    *time.Time `db:"used_at"`
	}
	err := m.store.db.GetContext(ctx, &r, `SELECT a.email, a.role, a.tenant_id, a.status, i.expires_at, i.used_at
		FROM admin_invites i JOIN admins a ON a.id = i.admin_id WHERE i.token_hash = ?`, inviteHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalidInvite
	}
	if err != nil {
		return nil, fmt.Errorf("admins: invite: %w", err)
	}
	if r.UsedAt != nil || !m.now().Before(r.ExpiresAt) || r.Status != "invited" {
		return nil, ErrInvalidInvite
	}
	p := &PendingInvite{Email: r.Email, Role: r.Role, ExpiresAt: r.ExpiresAt}
	if r.TenantID != nil {
		p.TenantID = *r.TenantID
	}
	return p, nil
}
