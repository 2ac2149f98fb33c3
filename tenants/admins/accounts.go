package admins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"miniauth/tenants/audit"
)

// Accounts is what the platform admin does to console accounts (list,
// invite, disable, enable, remove) and what every admin does to its own
// (change its password). Every change is audited.
type Accounts struct {
	store   *Store
	console *Console
	lockout *Lockout
	mfa     *MFA
	now     func() time.Time
}

// AccountsConfig is what Accounts needs besides the store.
type AccountsConfig struct {
	Console *Console         // sessions to end when an admin is disabled or removed
	Lockout *Lockout         // a wrong current password counts here
	MFA     *MFA             // turned off with the password (DisableMFAWithPassword)
	Now     func() time.Time // time.Now when nil; invites expire by it
}

// NewAccounts returns the account management over s.
func NewAccounts(s *Store, c AccountsConfig) *Accounts {
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Accounts{store: s, console: c.Console, lockout: c.Lockout, mfa: c.MFA, now: c.Now}
}

// Listed is an admin as the platform admin's list shows it.
type Listed struct {
	ID          int64          `db:"id"`
	Email       string         `db:"email"`
	Role        string         `db:"role"`
	TenantID    sql.NullInt64  `db:"tenant_id"`
	TenantSlug  sql.NullString `db:"tenant_slug"`
	Status      string         `db:"status"` // active, disabled or invited
	MFA         bool           `db:"mfa"`
	LastLoginAt sql.NullTime   `db:"last_login_at"`
	CreatedAt   time.Time      `db:"created_at"`
}

// List returns every admin, platform admins first, then by tenant and
// email; only a platform admin may list them.
func (m *Accounts) List(ctx context.Context, by Actor) ([]Listed, error) {
	if !by.platform() {
		return nil, ErrForbidden
	}
	var out []Listed
	err := m.store.db.SelectContext(ctx, &out, `SELECT a.id, a.email, a.role, a.tenant_id, t.slug AS tenant_slug,
		a.status, (f.enabled_at IS NOT NULL) AS mfa, a.last_login_at, a.created_at
		FROM admins a LEFT JOIN tenants t ON t.id = a.tenant_id LEFT JOIN admin_mfa f ON f.admin_id = a.id
		ORDER BY a.role = 'platform' DESC, t.slug, a.email`)
	if err != nil {
		return nil, fmt.Errorf("admins: list: %w", err)
	}
	return out, nil
}

// Disable stops an admin from signing in and ends its console sessions.
// The last active platform admin cannot be disabled (ErrLastPlatformAdmin).
func (m *Accounts) Disable(ctx context.Context, by Actor, id int64) error {
	a, err := m.change(ctx, by, id, "admin.disabled", `UPDATE admins SET status = 'disabled' WHERE id = ?`)
	if err != nil {
		return err
	}
	return m.console.RevokeAdmin(ctx, a.ID)
}

// Enable lets a disabled admin sign in again (an invited one that never
// accepted goes back to waiting for its invite).
func (m *Accounts) Enable(ctx context.Context, by Actor, id int64) error {
	_, err := m.change(ctx, by, id, "admin.enabled",
		`UPDATE admins SET status = IF(password_hash = '', 'invited', 'active') WHERE id = ? AND status = 'disabled'`)
	return err
}

// Remove deletes an admin (its MFA, recovery codes and invites with it)
// and ends its console sessions; the audit log keeps its email. The last
// active platform admin cannot be removed (ErrLastPlatformAdmin).
func (m *Accounts) Remove(ctx context.Context, by Actor, id int64) error {
	a, err := m.change(ctx, by, id, "admin.deleted", `DELETE FROM admins WHERE id = ?`)
	if err != nil {
		return err
	}
	return m.console.RevokeAdmin(ctx, a.ID)
}

// change runs stmt on admin id for a platform admin, refusing what would
// leave no active platform admin, with an audit entry of action, in one
// transaction.
func (m *Accounts) change(ctx context.Context, by Actor, id int64, action, stmt string) (*Admin, error) {
	if !by.platform() {
		return nil, ErrForbidden
	}
	tx, err := m.store.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// Locking every active platform admin serialises two changes that
	// would each leave the other as the last one.
	var platform []int64
	if err := tx.SelectContext(ctx, &platform,
		`SELECT id FROM admins WHERE role = 'platform' AND status = 'active' FOR UPDATE`); err != nil {
		return nil, fmt.Errorf("admins: load: %w", err)
	}
	var a Admin
	if err := tx.GetContext(ctx, &a, `SELECT id, email, password_hash, role, tenant_id, status, created_at
		FROM admins WHERE id = ? FOR UPDATE`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("admins: load: %w", err)
	}
	if action != "admin.enabled" && a.Role == RolePlatform && a.Status == "active" && len(platform) <= 1 {
		return nil, ErrLastPlatformAdmin
	}
	res, err := tx.ExecContext(ctx, stmt, id)
	if err != nil {
		return nil, fmt.Errorf("admins: %s: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &a, nil // already so: nothing to audit
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: a.TenantID.Int64, Actor: by.Audit(),
		Action: action, TargetType: "admin", TargetID: a.Email, Details: map[string]any{"role": a.Role}}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return &a, nil
}

// ChangePassword sets the acting admin's password to next after checking
// current (a wrong one is ErrBadPassword and counts in the lockout, like
// a failed sign-in) and the policy (CheckPassword), then ends its other
// console sessions: every one but by.Session.
func (m *Accounts) ChangePassword(ctx context.Context, by Actor, current, next string) error {
	a, err := m.verifyPassword(ctx, by, current)
	if err != nil {
		return err
	}
	if err := CheckPassword(next, a.Email); err != nil {
		return err
	}
	hash, err := m.store.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	tx, err := m.store.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `UPDATE admins SET password_hash = ? WHERE id = ?`, hash, a.ID); err != nil {
		return fmt.Errorf("admins: change password: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: a.TenantID.Int64, Actor: by.Audit(),
		Action: "admin.password_changed", TargetType: "admin", TargetID: a.Email}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("admins: commit: %w", err)
	}
	return m.console.RevokeOthers(ctx, a.ID, by.Session)
}
