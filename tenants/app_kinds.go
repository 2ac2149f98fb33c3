package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"miniauth/tenants/audit"
)

// MiniProgram picks the tenant's mini-program by appid, or its default
// mini-program when appid is empty. Official accounts are not candidates:
// they cannot take a wx.login code.
func (t *Tenant) MiniProgram(appid string) (*App, error) {
	return t.appOfKind(KindMiniProgram, appid)
}

// OfficialAccount picks the tenant's official account by appid, or its
// first one when appid is empty.
func (t *Tenant) OfficialAccount(appid string) (*App, error) {
	return t.appOfKind(KindOfficialAccount, appid)
}

// MobileApp picks the tenant's Open Platform mobile application (the
// WeChat app's SendAuth login) by appid, or its first one when appid is
// empty.
func (t *Tenant) MobileApp(appid string) (*App, error) {
	return t.appOfKind(KindMobileApp, appid)
}

// Website picks the tenant's Open Platform website application (QR login)
// by appid, or its first one when appid is empty.
func (t *Tenant) Website(appid string) (*App, error) {
	return t.appOfKind(KindWebsite, appid)
}

func (t *Tenant) appOfKind(kind, appid string) (*App, error) {
	var first *App
	for i := range t.Apps {
		a := &t.Apps[i]
		switch {
		case a.Kind != kind:
		case appid != "" && a.AppID == appid, appid == "" && a.IsDefault:
			return a, nil
		case appid == "" && first == nil:
			first = a
		}
	}
	// Only mini-programs have a default: of the other kinds the first one
	// stands for it.
	if appid == "" && kind != KindMiniProgram && first != nil {
		return first, nil
	}
	return nil, ErrAppUnknown
}

// AppByID returns the tenant's app with the internal id.
func (t *Tenant) AppByID(id int64) (*App, error) {
	for i := range t.Apps {
		if t.Apps[i].ID == id {
			return &t.Apps[i], nil
		}
	}
	return nil, ErrAppUnknown
}

// AddOfficialAccount registers an official account (service account) of a
// tenant, used for web OAuth of H5 pages inside WeChat. It is never the
// default app: logins of the mini-program keep theirs.
func (r *Registry) AddOfficialAccount(ctx context.Context, tenantID int64, n NewApp) error {
	return r.addOAuthApp(ctx, tenantID, KindOfficialAccount, n)
}

// AddMobileApp registers an Open Platform mobile application of a tenant,
// whose iOS/Android app signs users in with the WeChat app (SendAuth).
// Like an official account it is never the default app.
func (r *Registry) AddMobileApp(ctx context.Context, tenantID int64, n NewApp) error {
	return r.addOAuthApp(ctx, tenantID, KindMobileApp, n)
}

// AddWebsite registers an Open Platform website application of a tenant,
// whose website signs users in by WeChat QR code (qrconnect). Like an
// official account it is never the default app.
func (r *Registry) AddWebsite(ctx context.Context, tenantID int64, n NewApp) error {
	return r.addOAuthApp(ctx, tenantID, KindWebsite, n)
}

// addOAuthApp registers an app of a kind that signs in with OAuth codes
// (sns/oauth2/access_token); n.IsDefault is ignored.
func (r *Registry) addOAuthApp(ctx context.Context, tenantID int64, kind string, n NewApp) error {
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
		sealed, kid := r.keys.Seal([]byte(n.Secret), secretAD(tenantID, n.AppID))
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO apps (tenant_id, kind, appid, secret_sealed, secret_key_id, is_default) VALUES (?, ?, ?, ?, ?, FALSE)`,
			tenantID, kind, n.AppID, sealed, kid); err != nil {
			if err := mapDup(err, ErrAppIDTaken); err == ErrAppIDTaken {
				return err
			}
			return fmt.Errorf("tenants: add %s: %w", kind, err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: n.Actor, Action: "app.added",
			TargetType: "app", TargetID: n.AppID, Details: map[string]any{"kind": kind}})
	})
}

// RemoveApp removes one of a tenant's apps, and with it (the foreign key
// cascades) every identity that signed in through it: users keep their
// other ways in. The default mini-program cannot go, since the tenant's
// mini-program logins stand on it; make another one the default first.
func (r *Registry) RemoveApp(ctx context.Context, tenantID int64, appid string, actor audit.Actor) error {
	return r.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if err := lockTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		var a struct {
			ID        int64  `db:"id"`
			Kind      string `db:"kind"`
			IsDefault bool   `db:"is_default"`
		}
		err := tx.GetContext(ctx, &a, `SELECT id, kind, is_default FROM apps WHERE tenant_id = ? AND appid = ?`, tenantID, appid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrAppUnknown
		}
		if err != nil {
			return fmt.Errorf("tenants: remove app: %w", err)
		}
		if a.IsDefault {
			return Invalid("the default mini-program cannot be removed; make another one the default first")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM apps WHERE id = ?`, a.ID); err != nil {
			return fmt.Errorf("tenants: remove app: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "app.removed",
			TargetType: "app", TargetID: appid, Details: map[string]any{"kind": a.Kind}})
	})
}
