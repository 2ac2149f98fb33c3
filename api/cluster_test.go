package api_test

import (
	"context"
	"fmt"
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
	// The env counts sessions on the standalone Redis, which this API
	// does not use: no row's change of sessions can be checked here.
	var steps []scenario
	for i := range tokens {
		steps = append(steps, scenario{name: fmt.Sprintf("GET /me of user%d on the cluster", i), method: "GET", path: "/t/acme/me",
			header: bearer(tokens[i]), status: 200, anyDelta: true})
	}
	code := e.code("replayer")
	steps = append(steps,
		scenario{name: "logout", path: "/t/acme/logout", header: bearer(tokens[0]), status: 204, anyDelta: true,
			before: func(e *env) {
				if masters := mastersHolding(e.t, cc, prefix+":t:*"); masters < 2 {
					e.t.Fatalf("sessions sit on %d master(s); the test proves nothing about slots", masters)
				}
			}},
		scenario{name: "GET /me after logout", method: "GET", path: "/t/acme/me", header: bearer(tokens[0]), status: 401, anyDelta: true},
		scenario{name: "a code's first login", path: "/t/acme/login", body: `{"code":"` + code + `"}`, status: 200, anyDelta: true},
		scenario{name: "the code replayed", path: "/t/acme/login", body: `{"code":"` + code + `"}`, status: 401, code: "invalid_code", anyDelta: true},
	)
	runStory(t, e, scenario{}, steps)

	// Revoke-all of the tenant from "another node": an epoch bump in MySQL
	// and an invalidation published on the cluster. No multi-key command,
	// so no cross-slot error.
	other := tenants.NewRegistry(e.db, e.keys, tenants.WithCache(memo.NewBus(cc, prefix, slog.New(slog.DiscardHandler)), tenants.CacheConfig{}))
	if err := other.RevokeAllSessions(context.Background(), e.tenant.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second) // milliseconds in practice; generous for a slow machine
	steps = nil
	for i, tok := range tokens[1:] {
		steps = append(steps, scenario{name: fmt.Sprintf("GET /me of user%d after revoke-all", i+1), method: "GET", path: "/t/acme/me",
			header: bearer(tok), status: 401, anyDelta: true,
			// The invalidation reaches the node soon, not at once: wait
			// for this session to be refused before the row asks.
			before: func(e *env) {
				for {
					r := e.do("GET", "/t/acme/me", "", bearer(tok)...)
					if r.Status == 401 {
						return
					}
					if r.Status != 200 || time.Now().After(deadline) {
						e.t.Fatalf("/me after revoke-all: %d %s", r.Status, r.Raw)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}})
	}
	runStory(t, e, scenario{}, append(steps, scenario{name: "a login after revoke-all", path: "/t/acme/login",
		bodyFn: func(e *env) string { return `{"code":"` + e.code("after") + `"}` }, status: 200, anyDelta: true,
		check: func(t *testing.T, r response) { remember(e.wx.SessionKey(demoAppID, "after"), "session_key") }}))
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
