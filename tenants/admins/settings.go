package admins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// settingRequireMFA names the platform setting "platform admins must use
// MFA", "1" or "0" (absent: off).
const settingRequireMFA = "require_mfa_platform"

// Settings keeps platform-wide settings in MySQL (platform_settings).
type Settings struct{ db *sqlx.DB }

// NewSettings returns the platform settings over db.
func NewSettings(db *sqlx.DB) *Settings { return &Settings{db: db} }

// RequireMFAForPlatformAdmins reports whether platform admins must use MFA.
func (s *Settings) RequireMFAForPlatformAdmins(ctx context.Context) (bool, error) {
	var v string
	err := s.db.GetContext(ctx, &v, `SELECT value FROM platform_settings WHERE name = ?`, settingRequireMFA)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("admins: settings: %w", err)
	}
	return v == "1", nil
}

// SetRequireMFAForPlatformAdmins changes the setting, with an audit entry;
// only a platform admin may. Platform admins without MFA are then asked to
// set it up at their next request (MFA.MustEnrol), none is signed out.
func (s *Settings) SetRequireMFAForPlatformAdmins(ctx context.Context, by Actor, on bool) error {
	if !by.platform() {
		return ErrForbidden
	}
	v := "0"
	if on {
		v = "1"
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `INSERT INTO platform_settings (name, value) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE value = ?`, settingRequireMFA, v, v); err != nil {
		return fmt.Errorf("admins: settings: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{Actor: by.Audit(), Action: "platform.setting_changed",
		TargetType: "setting", TargetID: settingRequireMFA, Details: map[string]any{"value": on}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("admins: commit: %w", err)
	}
	return nil
}

// MustEnrol reports whether admin a must set up MFA before the console
// serves it anything else: it is a platform admin, the platform requires
// MFA of them, and its MFA is not on. One query, cheap enough for every
// console request.
func (m *MFA) MustEnrol(ctx context.Context, a *Admin) (bool, error) {
	if a.Role != RolePlatform {
		return false, nil
	}
	var must bool
	err := m.db.GetContext(ctx, &must, `SELECT
		COALESCE((SELECT value = '1' FROM platform_settings WHERE name = ?), FALSE)
		AND NOT EXISTS (SELECT 1 FROM admin_mfa WHERE admin_id = ? AND enabled_at IS NOT NULL)`,
		settingRequireMFA, a.ID)
	if err != nil {
		return false, fmt.Errorf("admins: mfa: %w", err)
	}
	return must, nil
}
