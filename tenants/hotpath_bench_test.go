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

// BenchmarkSeal seals a WeChat session_key (AES-256-GCM with associated
// data), as every login does.
func BenchmarkSeal(b *testing.B) {
	ring := tenantstest.Keyring(b)
	plain := []byte("tiihtNczf5v6AKRyjwEUhQ==")
	b.ReportAllocs()
	for b.Loop() {
		if sealed, _ := ring.Seal(plain, "session-key:1:abc"); len(sealed) == 0 {
			b.Fatal("nothing sealed")
		}
	}
}

// BenchmarkOpen opens a sealed AppSecret, as every login does.
func BenchmarkOpen(b *testing.B) {
	ring := tenantstest.Keyring(b)
	sealed, kid := ring.Seal([]byte("0123456789abcdef0123456789abcdef"), "app-secret:1:wx0123456789")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Open(sealed, kid, "app-secret:1:wx0123456789"); err != nil {
			b.Fatal(err)
		}
	}
}

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
