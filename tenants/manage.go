package tenants

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"miniauth/tenants/audit"
)

// Changes made from the admin console. Each one writes its audit entry in
// the same transaction; the caller invalidates the Cache afterwards.

// Update describes a change of a tenant's name and settings; nil fields stay.
type Update struct {
	Name     *string
	Settings *Settings
	Actor    audit.Actor
}

func (u Update) validate() error {
	if u.Name != nil {
		n := strings.TrimSpace(*u.Name)
		if n == "" || utf8.RuneCountInString(n) > 128 {
			return Invalid("name must be 1 to 128 characters")
		}
	}
	if u.Settings != nil {
		return u.Settings.Validate()
	}
	return nil
}

// Update changes a tenant's name and settings.
func (r *Registry) Update(ctx context.Context, id int64, u Update) error {
	if err := u.validate(); err != nil {
		return err
	}
	return r.change(ctx, id, func(tx *sqlx.Tx) error {
		if err := lockTenant(ctx, tx, id); err != nil {
			return err
		}
		details := map[string]any{}
		if u.Name != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ? WHERE id = ?`, strings.TrimSpace(*u.Name), id); err != nil {
				return fmt.Errorf("tenants: update: %w", err)
			}
			details["name"] = strings.TrimSpace(*u.Name)
		}
		if u.Settings != nil {
			b, _ := json.Marshal(u.Settings)
			if _, err := tx.ExecContext(ctx, `UPDATE tenants SET settings = ? WHERE id = ?`, b, id); err != nil {
				return fmt.Errorf("tenants: update: %w", err)
			}
			details["settings"] = u.Settings
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: id, Actor: u.Actor, Action: "tenant.updated",
			TargetType: "tenant", TargetID: itoa(id), Details: details})
	})
}

// Delete removes a tenant with its apps, users, identities and admins (the
// foreign keys cascade) and its login history. The audit log keeps the tombstone.
func (r *Registry) Delete(ctx context.Context, id int64, actor audit.Actor) error {
	return r.change(ctx, id, func(tx *sqlx.Tx) error {
		var slug string
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = ? FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("tenants: delete: %w", err)
		}
		// The login history has no foreign key to cascade: its rows go here.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_history WHERE tenant_id = ?`, id); err != nil {
			return fmt.Errorf("tenants: delete login history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id); err != nil {
			return fmt.Errorf("tenants: delete: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: id, Actor: actor, Action: "tenant.deleted",
			TargetType: "tenant", TargetID: slug})
	})
}

// NewApp is an app to add to a tenant; IsDefault applies to mini-programs
// only.
type NewApp struct {
	AppID     string
	Secret    string
	IsDefault bool
	Actor     audit.Actor
}

func validSecret(s string) error {
	if len(s) < 16 || len(s) > 128 {
		return Invalid("AppSecret must be 16 to 128 characters")
	}
	return nil
}

// AddApp registers another mini-program of a tenant, optionally as its
// default.
func (r *Registry) AddApp(ctx context.Context, tenantID int64, n NewApp) error {
	if !ValidAppID(n.AppID) {
		return Invalid("appid does not look like a WeChat AppID")
	}
	if err := validSecret(n.Secret); err != nil {
		return err
	}
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if err := lockTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		if n.IsDefault {
			if _, err := tx.ExecContext(ctx, `UPDATE apps SET is_default = FALSE WHERE tenant_id = ?`, tenantID); err != nil {
				return fmt.Errorf("tenants: add app: %w", err)
			}
		}
		sealed, kid := r.keys.Seal([]byte(n.Secret), secretAD(tenantID, n.AppID))
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO apps (tenant_id, kind, appid, secret_sealed, secret_key_id, is_default) VALUES (?, ?, ?, ?, ?, ?)`,
			tenantID, KindMiniProgram, n.AppID, sealed, kid, n.IsDefault); err != nil {
			return mapDup(err, ErrAppIDTaken)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: n.Actor, Action: "app.added",
			TargetType: "app", TargetID: n.AppID, Details: map[string]any{"default": n.IsDefault}})
	})
}

// RotateSecret replaces an app's AppSecret, sealed afresh with a new nonce
// under the current master key.
func (r *Registry) RotateSecret(ctx context.Context, tenantID int64, appid, secret string, actor audit.Actor) error {
	if err := validSecret(secret); err != nil {
		return err
	}
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if err := lockTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		sealed, kid := r.keys.Seal([]byte(secret), secretAD(tenantID, appid))
		res, err := tx.ExecContext(ctx,
			`UPDATE apps SET secret_sealed = ?, secret_key_id = ? WHERE tenant_id = ? AND appid = ?`,
			sealed, kid, tenantID, appid)
		if err != nil {
			return fmt.Errorf("tenants: rotate secret: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAppUnknown
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "app.secret_rotated",
			TargetType: "app", TargetID: appid})
	})
}

// SetDefaultApp makes appid the tenant's default mini-program.
func (r *Registry) SetDefaultApp(ctx context.Context, tenantID int64, appid string, actor audit.Actor) error {
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if err := lockTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM apps WHERE tenant_id = ? AND appid = ?`, tenantID, appid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrAppUnknown
		}
		if err != nil {
			return fmt.Errorf("tenants: default app: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE apps SET is_default = (id = ?) WHERE tenant_id = ?`, id, tenantID); err != nil {
			return fmt.Errorf("tenants: default app: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "app.made_default",
			TargetType: "app", TargetID: appid})
	})
}

// lockTenant locks the tenant's row for the transaction, so that concurrent
// console changes of one tenant apply one after the other.
func lockTenant(ctx context.Context, tx *sqlx.Tx, id int64) error {
	err := tx.GetContext(ctx, new(int64), `SELECT id FROM tenants WHERE id = ? FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("tenants: lock: %w", err)
	}
	return nil
}
