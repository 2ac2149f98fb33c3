package admins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"miniauth/tenants/audit"
)

// ListTenant returns the admins of one tenant, in creation order.
func (s *Store) ListTenant(ctx context.Context, tenantID int64) ([]Admin, error) {
	var out []Admin
	err := s.db.SelectContext(ctx, &out,
		`SELECT id, email, password_hash, role, tenant_id, status, created_at
		 FROM admins WHERE role = ? AND tenant_id = ? ORDER BY id`, RoleTenant, tenantID)
	if err != nil {
		return nil, fmt.Errorf("admins: list: %w", err)
	}
	return out, nil
}

// DeleteTenantAdmin removes a tenant admin of tenantID, with an audit
// entry. The caller also ends the admin's console sessions.
func (s *Store) DeleteTenantAdmin(ctx context.Context, tenantID, id int64, actor audit.Actor) (*Admin, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var a Admin
	if err := tx.GetContext(ctx, &a,
		`SELECT id, email, password_hash, role, tenant_id, status, created_at
		 FROM admins WHERE id = ? AND role = ? AND tenant_id = ? FOR UPDATE`, id, RoleTenant, tenantID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("admins: load: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admins WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("admins: delete: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "admin.deleted", TargetType: "admin", TargetID: a.Email}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return &a, nil
}

// TouchLogin records a successful sign-in.
func (s *Store) TouchLogin(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE admins SET last_login_at = NOW(3) WHERE id = ?`, id); err != nil {
		return fmt.Errorf("admins: touch: %w", err)
	}
	return nil
}
