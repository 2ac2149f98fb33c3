package main

import (
	"context"
	"log/slog"
	"time"

	"miniauth/tenants/stats"
)

// runRollup starts this node's share of the usage rollup (tenants/stats:
// Redis's per-day counters into usage_daily; a lock in Redis gives each
// round to one node). stop ends it and waits, a bounded time, for a round
// in progress, so that the connections it uses outlive it.
func runRollup(ctx context.Context, usage *stats.Store, every time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		usage.Run(ctx, log, stats.RunOptions{Every: every})
	}()
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			log.Warn("usage rollup still running at shutdown")
		}
	}
}
