package sessions_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// BenchmarkRedisBytesPerSession reports what a session costs Redis
// (docs/performance.md, "Memory per session"): b.N sessions made as logins
// make them, 10 per user across 1,000 tenants, with a real WeChat user
// agent, and Redis's used_memory growth divided by b.N (record, user
// index and Redis's own tables; the login history is in MySQL since issue
// 18, tenants/loginlog). The figure of the issue is at a million sessions:
//
//	go test -run '^$' -bench RedisBytesPerSession -benchtime 1000000x ./tenants/sessions/
//
// Redis must be otherwise idle for the figure to mean anything.
func BenchmarkRedisBytesPerSession(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(b)
	s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(b))
	before := redisUsedMemory(b, rdb)
	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	b.ResetTimer()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < b.N; k += workers {
				_, _, err := s.Create(ctx, sessions.New{TenantID: int64(1 + (k/10)%1000), UserID: int64(k / 10), AppID: 1,
					SessionKey: "o0q0otL8aEzpcZL/FT9WsQ==", Idle: 7 * 24 * time.Hour, Absolute: 30 * 24 * time.Hour,
					IP: "203.0.113." + strconv.Itoa(k%250), UserAgent: iPhoneUA})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(redisUsedMemory(b, rdb)-before)/float64(b.N), "redis-B/session")
}

func redisUsedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}
