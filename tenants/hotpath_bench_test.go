package tenants_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/tenantstest"
)

// BenchmarkCacheBySlug is the tenant lookup of every request: from memory
// once the tenant is cached.
func BenchmarkCacheBySlug(b *testing.B) {
	db, _ := tenantstest.DB(b)
	rdb, prefix := tenantstest.Redis(b)
	ring := tenantstest.Keyring(b)
	reg := tenants.NewRegistry(db, ring, tenants.WithCache(tenantstest.Bus(b, rdb, prefix), tenants.CacheConfig{TTL: time.Hour}))
	if _, err := reg.Create(context.Background(), tenants.NewTenant{Slug: "bench", Name: "Bench",
		AppID: "wxbench00001", Secret: "0123456789abcdef"}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Lookup(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
