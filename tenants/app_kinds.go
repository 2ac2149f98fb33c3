package tenants

import (
	"context"
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
	// Official accounts have no default: the first one stands for it.
	if appid == "" && kind == KindOfficialAccount && first != nil {
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
			tenantID, KindOfficialAccount, n.AppID, sealed, kid); err != nil {
			if err := mapDup(err, ErrAppIDTaken); err == ErrAppIDTaken {
				return err
			}
			return fmt.Errorf("tenants: add official account: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: n.Actor, Action: "app.added",
			TargetType: "app", TargetID: n.AppID, Details: map[string]any{"kind": KindOfficialAccount}})
	})
}
