package apikeys_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/tenantstest"
)

func TestKeys(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	reg := tenants.NewRegistry(db, tenantstest.Keyring(t))
	a, err := reg.Create(ctx, tenants.NewTenant{Slug: "alpha", Name: "A", AppID: "wxalpha00001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := reg.Create(ctx, tenants.NewTenant{Slug: "bravo", Name: "B", AppID: "wxbravo00001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	store := apikeys.NewStore(db)
	secret, key, err := store.Create(ctx, a.ID, "orders backend", audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "mak_") || len(secret) != 47 || !strings.HasPrefix(secret, key.Prefix) || key.Name != "orders backend" {
		t.Fatalf("Create = %q, %+v", secret, key)
	}
	var stored int
	if err := db.Get(&stored, `SELECT COUNT(*) FROM api_keys WHERE key_hash = ? OR prefix = ?`, secret, secret); err != nil || stored != 0 {
		t.Fatalf("the key is stored in clear (%d rows, %v)", stored, err)
	}

	got, err := store.Authenticate(ctx, a.ID, secret)
	if err != nil || got.ID != key.ID || got.LastUsedAt == nil {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for name, try := range map[string]struct {
		tenant int64
		secret string
	}{
		"other tenant": {b.ID, secret},
		"one char off": {a.ID, secret[:len(secret)-1] + map[bool]string{true: "A", false: "B"}[secret[len(secret)-1] != 'A']},
		"truncated":    {a.ID, secret[:20]},
		"no prefix":    {a.ID, "xxx_" + secret[4:]},
		"empty":        {a.ID, ""},
	} {
		if _, err := store.Authenticate(ctx, try.tenant, try.secret); !errors.Is(err, apikeys.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := store.Revoke(ctx, b.ID, key.ID, audit.CLI); !errors.Is(err, apikeys.ErrNotFound) {
		t.Fatalf("revoke from another tenant: %v", err)
	}
	if err := store.Revoke(ctx, a.ID, key.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(ctx, a.ID, key.ID, audit.CLI); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := store.Authenticate(ctx, a.ID, secret); !errors.Is(err, apikeys.ErrInvalid) {
		t.Fatalf("revoked key: %v", err)
	}
	list, err := store.List(ctx, a.ID)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if other, _ := store.List(ctx, b.ID); len(other) != 0 {
		t.Fatalf("tenant b sees %d keys", len(other))
	}
	var audits int
	if err := db.Get(&audits, `SELECT COUNT(*) FROM audit_log WHERE action IN ('api_key.created', 'api_key.revoked') AND tenant_id = ?`, a.ID); err != nil || audits != 2 {
		t.Fatalf("audit rows = %d, %v", audits, err)
	}
}

// Two nodes answer from memory; a revocation on one is refused on the
// other at once (within the time a Redis message takes).
func TestCachedKeysAndRevocationAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, _ := tenantstest.DB(t)
	rdb, prefix := tenantstest.Redis(t)
	reg := tenants.NewRegistry(db, tenantstest.Keyring(t))
	a, err := reg.Create(ctx, tenants.NewTenant{Slug: "alpha", Name: "A", AppID: "wxalpha00001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	node := func() *apikeys.Store {
		return apikeys.NewStore(db, apikeys.WithCache(tenantstest.Bus(t, rdb, prefix), time.Hour))
	}
	one, two := node(), node()
	secret, key, err := one.Create(ctx, a.ID, "backend", audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := two.Authenticate(ctx, a.ID, secret); err != nil {
		t.Fatal(err)
	}
	// From memory: a revocation written behind the stores' back is not seen.
	if _, err := db.Exec(`UPDATE api_keys SET revoked_at = NOW() WHERE id = ?`, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := two.Authenticate(ctx, a.ID, secret); err != nil {
		t.Fatalf("the second call went to MySQL: %v", err)
	}
	if _, err := db.Exec(`UPDATE api_keys SET revoked_at = NULL WHERE id = ?`, key.ID); err != nil {
		t.Fatal(err)
	}
	if err := one.Revoke(ctx, a.ID, key.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := two.Authenticate(ctx, a.ID, secret)
		if errors.Is(err, apikeys.ErrInvalid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key revoked on one node still works on the other after 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
