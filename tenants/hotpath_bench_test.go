package tenants_test

import (
	"context"
	"io"
	"log/slog"
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
	reg := tenants.NewRegistry(db, ring)
	if _, err := reg.Create(context.Background(), tenants.NewTenant{Slug: "bench", Name: "Bench",
		AppID: "wxbench00001", Secret: "0123456789abcdef"}); err != nil {
		b.Fatal(err)
	}
	cache := tenants.NewCache(reg, rdb, tenants.CacheConfig{Prefix: prefix, TTL: time.Hour},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cache.BySlug(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
