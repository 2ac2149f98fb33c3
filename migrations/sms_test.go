package migrations_test

import (
	"context"
	"testing"
)

// TestSMSSettingsDownUp: 0009 goes down and up again cleanly.
func TestSMSSettingsDownUp(t *testing.T) {
	ctx := context.Background()
	db, p := migrated(t)
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatalf("down to 8: %v", err)
	}
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'sms_settings'`); err != nil || n != 0 {
		t.Fatalf("sms_settings after down: %d %v", n, err)
	}
	if _, err := p.UpTo(ctx, 9); err != nil {
		t.Fatalf("up to 9: %v", err)
	}
	db.MustExec(`INSERT INTO tenants (slug, name, status, settings) VALUES ('acme', 'Acme', 'active', '{}')`)
	db.MustExec(`INSERT INTO sms_settings (tenant_id, provider, access_key_id, secret_sealed, secret_key_id, sign_name, template_id)
		SELECT id, 'tencent', 'AKID', x'00', 'k', '签名', '1' FROM tenants WHERE slug = 'acme'`)
	db.MustExec(`DELETE FROM tenants WHERE slug = 'acme'`) // cascades
	if err := db.Get(&n, `SELECT COUNT(*) FROM sms_settings`); err != nil || n != 0 {
		t.Fatalf("settings left after their tenant: %d %v", n, err)
	}
}
