package sms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
)

// ErrNotFound: the tenant has no SMS settings (the API's
// sms_not_configured).
var ErrNotFound = errors.New("sms: the tenant has no SMS settings")

// Store keeps tenants' SMS settings in MySQL, the secret sealed.
type Store struct {
	db   *sqlx.DB
	keys *keyring.Ring
}

// NewStore returns a Store over db that seals secrets with keys.
func NewStore(db *sqlx.DB, keys *keyring.Ring) *Store { return &Store{db: db, keys: keys} }

// row is sms_settings as stored.
type row struct {
	TenantID        int64     `db:"tenant_id"`
	Provider        string    `db:"provider"`
	AccessKeyID     string    `db:"access_key_id"`
	SecretSealed    []byte    `db:"secret_sealed"`
	SecretKeyID     string    `db:"secret_key_id"`
	SDKAppID        string    `db:"sdk_app_id"`
	Region          string    `db:"region"`
	SignName        string    `db:"sign_name"`
	TemplateID      string    `db:"template_id"`
	TemplateParams  string    `db:"template_params"`
	AllowedPrefixes string    `db:"allowed_prefixes"`
	PhonePerMinute  int       `db:"phone_per_minute"`
	PhonePerHour    int       `db:"phone_per_hour"`
	PhonePerDay     int       `db:"phone_per_day"`
	AddressPerHour  int       `db:"address_per_hour"`
	AddressPerDay   int       `db:"address_per_day"`
	TenantPerDay    int       `db:"tenant_per_day"`
	UpdatedAt       time.Time `db:"updated_at"`
}

const columns = `tenant_id, provider, access_key_id, secret_sealed, secret_key_id, sdk_app_id, region, sign_name,
	template_id, template_params, allowed_prefixes, phone_per_minute, phone_per_hour, phone_per_day,
	address_per_hour, address_per_day, tenant_per_day, updated_at`

// secretAD binds a sealed secret to its tenant, provider and key id: a
// sealed value copied to another row, or kept under a changed key id,
// does not open.
func secretAD(tenantID int64, provider, accessKeyID string) string {
	return "sms-secret:" + strconv.FormatInt(tenantID, 10) + ":" + provider + ":" + accessKeyID
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (r *row) settings() *Settings {
	return &Settings{Provider: r.Provider, AccessKeyID: r.AccessKeyID, SecretSet: len(r.SecretSealed) > 0,
		SDKAppID: r.SDKAppID, Region: r.Region, SignName: r.SignName, TemplateID: r.TemplateID,
		TemplateParams: split(r.TemplateParams), AllowedPrefixes: split(r.AllowedPrefixes),
		Limits: Limits{PhonePerMinute: r.PhonePerMinute, PhonePerHour: r.PhonePerHour, PhonePerDay: r.PhonePerDay,
			AddressPerHour: r.AddressPerHour, AddressPerDay: r.AddressPerDay, TenantPerDay: r.TenantPerDay},
		UpdatedAt: r.UpdatedAt}
}

func (s *Store) get(ctx context.Context, q sqlx.QueryerContext, tenantID int64, lock string) (*row, error) {
	var r row
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+columns+` FROM sms_settings WHERE tenant_id = ?`+lock, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sms: settings: %w", err)
	}
	return &r, nil
}

// Get returns a tenant's settings without the secret, for the console and
// the admin API.
func (s *Store) Get(ctx context.Context, tenantID int64) (*Settings, error) {
	r, err := s.get(ctx, s.db, tenantID, "")
	if err != nil {
		return nil, err
	}
	return r.settings(), nil
}

// Load returns a tenant's settings with the secret unsealed, for sending
// only: never answer or log them.
func (s *Store) Load(ctx context.Context, tenantID int64) (*Settings, error) {
	r, err := s.get(ctx, s.db, tenantID, "")
	if err != nil {
		return nil, err
	}
	plain, err := s.keys.Open(r.SecretSealed, r.SecretKeyID, secretAD(tenantID, r.Provider, r.AccessKeyID))
	if err != nil {
		return nil, fmt.Errorf("sms: secret: %w", err)
	}
	st := r.settings()
	st.Secret = string(plain)
	return st, nil
}

// Put creates or replaces a tenant's settings and audits the change. An
// empty Secret keeps the stored one when provider and access key id stay
// the same (the secret is write-only: the console sends it only to set or
// rotate it). It returns the settings as Get would.
func (s *Store) Put(ctx context.Context, tenantID int64, in Settings, actor audit.Actor) (*Settings, error) {
	in.Provider = strings.TrimSpace(in.Provider)
	in.AccessKeyID = strings.TrimSpace(in.AccessKeyID)
	in.SignName = strings.TrimSpace(in.SignName)
	in.TemplateID = strings.TrimSpace(in.TemplateID)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sms: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	old, err := s.get(ctx, tx, tenantID, " FOR UPDATE")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	keep := old != nil && in.Secret == "" && old.Provider == in.Provider && old.AccessKeyID == in.AccessKeyID
	if err := in.Validate(!keep); err != nil {
		return nil, err
	}
	var sealed []byte
	var kid string
	if keep {
		sealed, kid = old.SecretSealed, old.SecretKeyID
	} else {
		sealed, kid = s.keys.Seal([]byte(in.Secret), secretAD(tenantID, in.Provider, in.AccessKeyID))
	}
	l := in.Limits
	if _, err := tx.ExecContext(ctx, `INSERT INTO sms_settings (`+strings.Replace(columns, ", updated_at", "", 1)+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE provider = VALUES(provider), access_key_id = VALUES(access_key_id),
			secret_sealed = VALUES(secret_sealed), secret_key_id = VALUES(secret_key_id), sdk_app_id = VALUES(sdk_app_id),
			region = VALUES(region), sign_name = VALUES(sign_name), template_id = VALUES(template_id),
			template_params = VALUES(template_params), allowed_prefixes = VALUES(allowed_prefixes),
			phone_per_minute = VALUES(phone_per_minute), phone_per_hour = VALUES(phone_per_hour),
			phone_per_day = VALUES(phone_per_day), address_per_hour = VALUES(address_per_hour),
			address_per_day = VALUES(address_per_day), tenant_per_day = VALUES(tenant_per_day)`,
		tenantID, in.Provider, in.AccessKeyID, sealed, kid, in.SDKAppID, in.Region, in.SignName, in.TemplateID,
		strings.Join(in.TemplateParams, ","), strings.Join(in.Prefixes(), ","), l.PhonePerMinute, l.PhonePerHour,
		l.PhonePerDay, l.AddressPerHour, l.AddressPerDay, l.TenantPerDay); err != nil {
		return nil, fmt.Errorf("sms: put settings: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "sms.settings_updated",
		TargetType: "sms_settings", TargetID: in.Provider, Details: map[string]any{"provider": in.Provider,
			"access_key_id": in.AccessKeyID, "sign_name": in.SignName, "template_id": in.TemplateID, "secret_changed": !keep}}); err != nil {
		return nil, err
	}
	r, err := s.get(ctx, tx, tenantID, "")
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sms: commit: %w", err)
	}
	return r.settings(), nil
}

// Delete removes a tenant's settings (SMS sign-in stops) and audits it.
func (s *Store) Delete(ctx context.Context, tenantID int64, actor audit.Actor) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sms: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, `DELETE FROM sms_settings WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return fmt.Errorf("sms: delete settings: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "sms.settings_deleted", TargetType: "sms_settings"}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sms: commit: %w", err)
	}
	return nil
}
