package migrations_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"miniauth/tenants/tenantstest"
)

// TestAdminEmailExact: 0007 lower-cases the stored admin emails and makes
// the column compare bytes, and audit ids take a whole email; its Down
// returns to 0006.
func TestAdminEmailExact(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatalf("down to 6: %v", err)
	}
	db.MustExec(`INSERT INTO admins (email, password_hash, role) VALUES ('Ops@Acme.Example', 'x', 'platform')`)
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatalf("up to 7: %v", err)
	}
	var email string
	if err := db.Get(&email, `SELECT email FROM admins`); err != nil || email != "ops@acme.example" {
		t.Fatalf("email after 0007: %q, %v", email, err)
	}
	for _, other := range []string{"OPS@acme.example", "öps@acme.example"} {
		var n int
		if err := db.Get(&n, `SELECT COUNT(*) FROM admins WHERE email = ?`, other); err != nil || n != 0 {
			t.Fatalf("%q matches %d admins (%v), want 0", other, n, err)
		}
	}
	db.MustExec(`INSERT INTO admins (email, password_hash, role) VALUES ('öps@acme.example', 'x', 'platform')`)
	db.MustExec(`INSERT INTO audit_log (actor_type, actor_id, action, target_id) VALUES ('cli', REPEAT('é', 254), 'x', REPEAT('é', 254))`)
	db.MustExec(`DELETE FROM admins WHERE email = 'öps@acme.example'`) // one under 0006's collation
	if _, err := p.DownTo(ctx, 6); err != nil {
		t.Fatalf("down to 6 again: %v", err)
	}
}

// TestAppKinds: 0010 lets apps be Open Platform mobile and website
// applications; its Down removes those apps (and their identities) so the
// old column can hold the rest.
func TestAppKinds(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatalf("down to 8: %v", err)
	}
	db.MustExec(`INSERT INTO tenants (slug, name, settings) VALUES ('acme', 'Acme', '{}')`)
	insert := `INSERT INTO apps (tenant_id, kind, appid, secret_sealed, secret_key_id) SELECT id, ?, ?, 'x', 'k' FROM tenants`
	if _, err := db.Exec(insert, "mobileapp", "wxapp00000001"); err == nil {
		t.Fatal("a mobileapp was stored before 0010")
	}
	if _, err := p.UpTo(ctx, 10); err != nil {
		t.Fatalf("up to 10: %v", err)
	}
	for kind, appid := range map[string]string{"miniprogram": "wxmp000000001", "mobileapp": "wxapp00000001", "website": "wxweb00000001"} {
		if _, err := db.Exec(insert, kind, appid); err != nil {
			t.Fatalf("%s after 0010: %v", kind, err)
		}
	}
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatalf("down to 8 again: %v", err)
	}
	var kinds []string
	if err := db.Select(&kinds, `SELECT kind FROM apps`); err != nil || len(kinds) != 1 || kinds[0] != "miniprogram" {
		t.Fatalf("apps after Down: %v, %v", kinds, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
}

// TestAdminMFA: 0012 adds the invited status and the MFA, recovery code,
// invite and platform settings tables, and its Down returns to 0008 with
// the invited admins gone and the others kept.
func TestAdminMFA(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	db.MustExec(`INSERT INTO admins (email, password_hash, role, status) VALUES ('a@acme.example', 'x', 'platform', 'invited')`)
	res := db.MustExec(`INSERT INTO admins (email, password_hash, role) VALUES ('b@acme.example', 'x', 'platform')`)
	id, _ := res.LastInsertId()
	db.MustExec(`INSERT INTO admin_mfa (admin_id, secret, secret_key_id, enabled_at, last_step) VALUES (?, 'sealed', 'k', NOW(3), 1)`, id)
	db.MustExec(`INSERT INTO admin_recovery_codes (admin_id, salt, code_hash) VALUES (?, REPEAT('s', 16), REPEAT('h', 32))`, id)
	db.MustExec(`INSERT INTO admin_invites (admin_id, token_hash, expires_at) VALUES (?, REPEAT('t', 32), NOW(3))`, id)
	db.MustExec(`INSERT INTO platform_settings (name, value) VALUES ('require_mfa_platform', '1')`)
	if _, err := db.Exec(`INSERT INTO admin_invites (admin_id, token_hash, expires_at) VALUES (?, REPEAT('t', 32), NOW(3))`, id); err == nil {
		t.Fatal("two invites with one token hash")
	}
	db.MustExec(`DELETE FROM admins WHERE id = ?`, id) // the MFA rows go with the admin
	for _, table := range []string{"admin_mfa", "admin_recovery_codes", "admin_invites"} {
		var n int
		if err := db.Get(&n, `SELECT COUNT(*) FROM `+table); err != nil || n != 0 {
			t.Fatalf("%s after deleting the admin: %d rows, %v", table, n, err)
		}
	}
	db.MustExec(`INSERT INTO admins (email, password_hash, role) VALUES ('c@acme.example', 'x', 'platform')`)
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatalf("down to 8: %v", err)
	}
	var emails []string
	if err := db.Select(&emails, `SELECT email FROM admins ORDER BY email`); err != nil || len(emails) != 1 || emails[0] != "c@acme.example" {
		t.Fatalf("admins after Down: %v, %v", emails, err)
	}
	if _, err := p.UpTo(ctx, 12); err != nil {
		t.Fatalf("up to 12 again: %v", err)
	}
}

// migrated is a fresh database of the test's own with every migration
// applied (tenantstest.DB), and a goose provider over this directory's
// files to walk it down and up.
func migrated(t *testing.T) (*sqlx.DB, *goose.Provider) {
	t.Helper()
	db, _ := tenantstest.DB(t)
	p, err := goose.NewProvider(goose.DialectMySQL, db.DB, os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

// TestIdentitiesOneUserIndex: 0018 leaves identities one index for a
// user's identities, the foreign key's (user_id), which the queries by
// tenant and user use; its Down restores (tenant_id, user_id).
func TestIdentitiesOneUserIndex(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	userIndexes := func() []string { return identitiesIndexes(t, db, "user_id") }
	if got := userIndexes(); len(got) != 1 || got[0] != "fk_identities_user" {
		t.Fatalf("indexes on identities.user_id after 0018: %v, want [fk_identities_user]", got)
	}
	for _, q := range []string{
		`SELECT openid FROM identities WHERE tenant_id = 1 AND user_id = 2`,
		`SELECT id FROM identities WHERE tenant_id = 1 AND user_id = 2 AND app_id = 3 ORDER BY last_login_at DESC, id DESC LIMIT 1`,
	} {
		var keys []string
		rows, err := db.Queryx(`EXPLAIN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatal(err)
			}
			key, _ := m["key"].([]byte)
			keys = append(keys, string(key))
		}
		rows.Close()
		if len(keys) != 1 || keys[0] == "" {
			t.Fatalf("%s: plan uses keys %q, want one index", q, keys)
		}
	}
	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatalf("down to 17: %v", err)
	}
	if got := userIndexes(); len(got) != 2 {
		t.Fatalf("indexes on identities.user_id after 0018's Down: %v, want two", got)
	}
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatalf("up to 18 again: %v", err)
	}
}

// TestIdentitiesLookupIndexes: 0019 leaves identities the indexes its
// lookups use: the primary key, (app_id, openid) and the foreign key's
// (user_id); the console's search by openid goes through each of the
// tenant's apps on (app_id, openid). Its Down restores the two it drops.
func TestIdentitiesLookupIndexes(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	indexes := func() []string { return identitiesIndexes(t, db, "") }
	if got, want := indexes(), []string{"fk_identities_user", "PRIMARY", "uq_identities_app_openid"}; !slices.Equal(got, want) {
		t.Fatalf("identities' indexes after 0019: %v, want %v", got, want)
	}
	rows, err := db.Queryx(`EXPLAIN SELECT i.user_id FROM apps a JOIN identities i ON i.app_id = a.id AND i.openid = 'o' AND i.tenant_id = a.tenant_id
		WHERE a.tenant_id = 1`)
	if err != nil {
		t.Fatal(err)
	}
	plan := map[string]string{}
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Fatal(err)
		}
		table, _ := m["table"].([]byte)
		key, _ := m["key"].([]byte)
		plan[string(table)] = string(key)
	}
	rows.Close()
	if plan["i"] != "uq_identities_app_openid" {
		t.Fatalf("the search by openid reads identities through %q (plan %v), want uq_identities_app_openid", plan["i"], plan)
	}
	if _, err := p.DownTo(ctx, 18); err != nil {
		t.Fatalf("down to 18: %v", err)
	}
	if got := indexes(); !slices.Contains(got, "ix_identities_tenant_openid") || !slices.Contains(got, "ix_identities_tenant_unionid") {
		t.Fatalf("identities' indexes after 0019's Down: %v", got)
	}
	if _, err := p.UpTo(ctx, 19); err != nil {
		t.Fatalf("up to 19 again: %v", err)
	}
}

// identitiesIndexes names the indexes of identities, those on column only
// when it is not "".
func identitiesIndexes(t *testing.T, db *sqlx.DB, column string) []string {
	t.Helper()
	var names []string
	if err := db.Select(&names, `SELECT DISTINCT index_name FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name = 'identities' AND (? = '' OR column_name = ?) ORDER BY index_name`,
		column, column); err != nil {
		t.Fatal(err)
	}
	return names
}
