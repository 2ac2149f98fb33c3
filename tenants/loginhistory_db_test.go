package tenants_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/tenantstest"
)

// Deleting a tenant deletes its login history (tenants/loginlog), which
// no foreign key cascades, and leaves the other tenants' alone.
func TestDeleteTenantDeletesLoginHistory(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	reg := tenants.NewRegistry(db, tenantstest.Keyring(t))
	secret := "s3cret-s3cret-s3cret-01"
	gone, err := reg.Create(ctx, tenants.NewTenant{Slug: "gone", Name: "Gone", AppID: "wxgone000001", Secret: secret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := reg.Create(ctx, tenants.NewTenant{Slug: "kept", Name: "Kept", AppID: "wxkept000001", Secret: secret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range []*tenants.Tenant{gone, gone, kept} {
		db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at, way) VALUES (?, 1, ?, 'sms')`, tn.ID, time.Now())
	}
	if err := reg.Delete(ctx, gone.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	rows := func(tenantID int64) (n int) {
		if err := db.Get(&n, `SELECT COUNT(*) FROM login_history WHERE tenant_id = ?`, tenantID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(gone.ID); n != 0 {
		t.Fatalf("%d login history rows of a deleted tenant", n)
	}
	if n := rows(kept.ID); n != 1 {
		t.Fatalf("the other tenant's history has %d rows, want 1", n)
	}
}
