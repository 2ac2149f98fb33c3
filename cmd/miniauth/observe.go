package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
)

// newRegistry is the Prometheus registry of one process: Go runtime and
// process metrics, the MySQL pool, and the Redis pool.
func newRegistry(db *sqlx.DB, rdb redis.UniversalClient) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "miniauth"),
	)
	stat := func(name, help string, f func(*redis.PoolStats) uint32) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(f(rdb.PoolStats())) }))
	}
	stat("miniauth_redis_pool_total_conns", "Connections in the Redis pool.", func(s *redis.PoolStats) uint32 { return s.TotalConns })
	stat("miniauth_redis_pool_idle_conns", "Idle connections in the Redis pool.", func(s *redis.PoolStats) uint32 { return s.IdleConns })
	stat("miniauth_redis_pool_stale_conns", "Stale connections removed from the Redis pool.", func(s *redis.PoolStats) uint32 { return s.StaleConns })
	stat("miniauth_redis_pool_hits", "Times a free connection was found in the Redis pool.", func(s *redis.PoolStats) uint32 { return s.Hits })
	stat("miniauth_redis_pool_misses", "Times no free connection was found in the Redis pool.", func(s *redis.PoolStats) uint32 { return s.Misses })
	stat("miniauth_redis_pool_timeouts", "Times a wait for a Redis connection timed out.", func(s *redis.PoolStats) uint32 { return s.Timeouts })
	return reg
}

// redisLogger sends go-redis's internal messages (reconnects, dial
// failures) to slog instead of the standard logger.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
