package api_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/api"
	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/memo"
	"miniauth/tenants/tenantstest"
)

// TestOnRedisCluster runs the session endpoints with every Redis structure
// (sessions, user indexes, rate limits, code claims, cache invalidation) on
// a real three-master Redis Cluster.
func TestOnRedisCluster(t *testing.T) {
	cluster, err := tenantstest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	cc := cluster.Client()
	t.Cleanup(func() { cc.Close() })
	prefix := tenantstest.Name("mat")

	// The whole API on the cluster: sessions, limits, the code guard, the
	// caches' bus.
	e := newTunedEnv(t, func(b *api.Base, s *api.Settings) {
		b.Redis, b.Prefix = cc, prefix
		s.TenantCache.TTL = time.Hour
	})

	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = e.login("user" + strconv.Itoa(i))
	}
	for _, tok := range tokens {
		if r := e.do("GET", "/t/acme/me", "", bearer(tok)...); r.Status != 200 {
			t.Fatalf("/me on the cluster: %d %s", r.Status, r.Raw)
		}
	}
	if masters := mastersHolding(t, cc, prefix+":t:*"); masters < 2 {
		t.Fatalf("sessions sit on %d master(s); the test proves nothing about slots", masters)
	}

	if r := e.do("POST", "/t/acme/logout", "", bearer(tokens[0])...); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Raw)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(tokens[0])...); r.Status != 401 {
		t.Fatalf("/me after logout: %d", r.Status)
	}
	code := e.code("replayer")
	e.do("POST", "/t/acme/login", `{"code":"`+code+`"}`)
	if r := e.do("POST", "/t/acme/login", `{"code":"`+code+`"}`); r.Status != 401 || r.errCode() != "invalid_code" {
		t.Fatalf("replayed code on the cluster: %d %s", r.Status, r.Raw)
	}

	// Revoke-all of the tenant from "another node": an epoch bump in MySQL
	// and an invalidation published on the cluster. No multi-key command,
	// so no cross-slot error.
	other := tenants.NewRegistry(e.db, e.keys, tenants.WithCache(memo.NewBus(cc, prefix, slog.New(slog.DiscardHandler)), tenants.CacheConfig{}))
	if err := other.RevokeAllSessions(context.Background(), e.tenant.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second) // milliseconds in practice; generous for a slow machine
	for _, tok := range tokens[1:] {
		for {
			r := e.do("GET", "/t/acme/me", "", bearer(tok)...)
			if r.Status == 401 {
				break
			}
			if r.Status != 200 || time.Now().After(deadline) {
				t.Fatalf("/me after revoke-all: %d %s", r.Status, r.Raw)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	e.login("after")
}

// mastersHolding counts the masters that hold keys matching pattern.
func mastersHolding(t *testing.T, cc *redis.ClusterClient, pattern string) int {
	t.Helper()
	n := make(chan int, 3)
	err := cc.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, pattern).Result()
		if len(keys) > 0 {
			n <- 1
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	close(n)
	total := 0
	for v := range n {
		total += v
	}
	return total
}
