package tenants

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/memo"
)

// Registry stores tenants and their apps in MySQL.
type Registry struct {
	db   *sqlx.DB
	keys *keyring.Ring
	// bySlug and missing are the request path's copies (cache.go); nil
	// keeps nothing.
	bySlug  *memo.Cache[*Tenant]
	missing *memo.Cache[struct{}]
}

// NewRegistry returns a Registry over db that seals AppSecrets with keys.
func NewRegistry(db *sqlx.DB, keys *keyring.Ring, opts ...Option) *Registry {
	r := &Registry{db: db, keys: keys}
	for _, o := range opts {
		o(r)
	}
	return r
}

// NewTenant is what it takes to register a tenant: its first mini-program
// comes with it, because a tenant cannot log anyone in without one.
type NewTenant struct {
	Slug   string
	Name   string
	AppID  string
	Secret string
	Actor  audit.Actor
}

func (n NewTenant) validate() error {
	switch {
	case !ValidSlug(n.Slug):
		return Invalid("slug must match [a-z0-9-]{3,32}")
	case strings.TrimSpace(n.Name) == "" || len(n.Name) > 128:
		return Invalid("name must be 1 to 128 characters")
	case !ValidAppID(n.AppID):
		return Invalid("appid does not look like a WeChat AppID")
	case len(n.Secret) < 16 || len(n.Secret) > 128:
		return Invalid("AppSecret must be 16 to 128 characters")
	}
	return nil
}

// Create registers a tenant with its default mini-program in one
// transaction, and records it in the audit log.
func (r *Registry) Create(ctx context.Context, n NewTenant) (*Tenant, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	// New tenants check nicknames (Settings.NicknameCheck) and sign no
	// access token at login (Settings.AccessTokenOnLogin): the app asks
	// for one when its backend needs it.
	on, off := true, false
	settings, _ := json.Marshal(Settings{NicknameCheck: &on, AccessTokenOnLogin: &off})
	err := r.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO tenants (slug, name, status, settings) VALUES (?, ?, ?, ?)`,
			n.Slug, n.Name, StatusActive, settings)
		if err != nil {
			return mapDup(err, ErrSlugTaken)
		}
		tid, _ := res.LastInsertId()
		sealed, kid := r.keys.Seal([]byte(n.Secret), secretAD(tid, n.AppID))
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO apps (tenant_id, kind, appid, secret_sealed, secret_key_id, is_default)
			 VALUES (?, ?, ?, ?, ?, TRUE)`,
			tid, KindMiniProgram, n.AppID, sealed, kid); err != nil {
			return mapDup(err, ErrAppIDTaken)
		}
		return audit.Record(ctx, tx, audit.Entry{
			TenantID: tid, Actor: n.Actor, Action: "tenant.created",
			TargetType: "tenant", TargetID: n.Slug,
			Details: map[string]any{"appid": n.AppID},
		})
	})
	if err != nil {
		return nil, err
	}
	r.Invalidate(ctx, n.Slug) // a "no such tenant" remembered anywhere
	return r.BySlug(ctx, n.Slug)
}

type tenantRow struct {
	ID           int64  `db:"id"`
	Slug         string `db:"slug"`
	Name         string `db:"name"`
	Status       string `db:"status"`
	Settings     []byte `db:"settings"`
	SessionEpoch int64  `db:"session_epoch"`
	CreatedAt    sql.NullTime
	UpdatedAt    sql.NullTime
}

const tenantColumns = `id, slug, name, status, settings, session_epoch, created_at AS createdat, updated_at AS updatedat`

func (row tenantRow) tenant() (*Tenant, error) {
	t := &Tenant{ID: row.ID, Slug: row.Slug, Name: row.Name, Status: row.Status,
		SessionEpoch: row.SessionEpoch, CreatedAt: row.CreatedAt.Time, UpdatedAt: row.UpdatedAt.Time}
	if err := json.Unmarshal(row.Settings, &t.Settings); err != nil {
		return nil, fmt.Errorf("tenants: settings of %s: %w", row.Slug, err)
	}
	return t, nil
}

// BySlug loads a tenant with its apps.
func (r *Registry) BySlug(ctx context.Context, slug string) (*Tenant, error) {
	return r.one(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = ?`, slug)
}

// ByID loads a tenant with its apps.
func (r *Registry) ByID(ctx context.Context, id int64) (*Tenant, error) {
	return r.one(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id)
}

func (r *Registry) one(ctx context.Context, query string, arg any) (*Tenant, error) {
	var row tenantRow
	if err := r.db.GetContext(ctx, &row, query, arg); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("tenants: load: %w", err)
	}
	t, err := row.tenant()
	if err != nil {
		return nil, err
	}
	if t.Apps, err = r.apps(ctx, t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

func (r *Registry) apps(ctx context.Context, tenantID int64) ([]App, error) {
	var apps []App
	err := r.db.SelectContext(ctx, &apps,
		`SELECT id AS id, tenant_id AS tenantid, kind, appid AS appid,
		        secret_sealed AS secretsealed, secret_key_id AS secretkeyid, is_default AS isdefault
		 FROM apps WHERE tenant_id = ? ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("tenants: load apps: %w", err)
	}
	return apps, nil
}

// List returns every tenant, without apps, in creation order.
func (r *Registry) List(ctx context.Context) ([]Tenant, error) {
	var rows []tenantRow
	if err := r.db.SelectContext(ctx, &rows, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`); err != nil {
		return nil, fmt.Errorf("tenants: list: %w", err)
	}
	out := make([]Tenant, 0, len(rows))
	for _, row := range rows {
		t, err := row.tenant()
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, nil
}

// SetStatus disables or re-enables a tenant. Disabling also raises the
// session epoch, so every session issued so far stops working at once.
func (r *Registry) SetStatus(ctx context.Context, id int64, status string, actor audit.Actor) error {
	if status != StatusActive && status != StatusDisabled {
		return Invalid("status must be active or disabled")
	}
	return r.change(ctx, id, func(tx *sqlx.Tx) error {
		query := `UPDATE tenants SET status = ? WHERE id = ?`
		if status == StatusDisabled {
			query = `UPDATE tenants SET status = ?, session_epoch = session_epoch + 1 WHERE id = ?`
		}
		res, err := tx.ExecContext(ctx, query, status, id)
		if err != nil {
			return fmt.Errorf("tenants: set status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := tx.GetContext(ctx, new(int64), `SELECT id FROM tenants WHERE id = ?`, id); errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: id, Actor: actor,
			Action:     "tenant." + map[string]string{StatusActive: "enabled", StatusDisabled: "disabled"}[status],
			TargetType: "tenant", TargetID: itoa(id)})
	})
}

// RevokeAllSessions raises the tenant's session epoch: every session issued
// before it is refused from now on, on every node, in O(1).
func (r *Registry) RevokeAllSessions(ctx context.Context, id int64, actor audit.Actor) error {
	return r.change(ctx, id, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET session_epoch = session_epoch + 1 WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("tenants: revoke sessions: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: id, Actor: actor,
			Action: "sessions.revoked_all", TargetType: "tenant", TargetID: itoa(id)})
	})
}

// Secret opens an app's AppSecret. Callers must not keep or log it.
func (r *Registry) Secret(app *App) (string, error) {
	plain, err := r.keys.Open(app.SecretSealed, app.SecretKeyID, secretAD(app.TenantID, app.AppID))
	if err != nil {
		return "", fmt.Errorf("tenants: AppSecret of %s: %w", app.AppID, err)
	}
	return string(plain), nil
}

func (r *Registry) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tenants: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tenants: commit: %w", err)
	}
	return nil
}

// mapDup turns MySQL's duplicate-key error into the domain error dup.
func mapDup(err, dup error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1062 {
		return dup
	}
	return fmt.Errorf("tenants: %w", err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
