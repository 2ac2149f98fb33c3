package stats

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Rollup copies the day that contains t, for every tenant, from Redis into
// usage_daily. It upserts, so it may run any number of times: a finished
// day's rows stop changing, and today's are refreshed to the current
// counts. A tenant with no use in the 30 days up to that day gets no rows.
// Each tenant costs a few commands: HGETALL, a PFCOUNT of the day, a
// PFCOUNT over the 30 days' keys (MAU; sub-millisecond even when every key
// is dense), and one PFCOUNT per app and way used that day.
func (s *Store) Rollup(ctx context.Context, t time.Time) error {
	s.c.settle(ctx)
	ids, err := s.tenantIDs(ctx)
	if err != nil {
		return err
	}
	day := dayOf(t)
	for start := 0; start < len(ids); start += redisBatch {
		rows, err := s.c.readDay(ctx, ids[start:min(start+redisBatch, len(ids))], day, true)
		if err != nil {
			return err
		}
		if err := s.upsert(ctx, rows); err != nil {
			return err
		}
	}
	return nil
}

// prune deletes history older than Keep days, a bounded batch at a time.
func (s *Store) prune(ctx context.Context) error {
	if s.Keep <= 0 {
		return nil
	}
	before := dayISO(addDays(s.today(), -s.Keep))
	if _, err := s.db.ExecContext(ctx, `DELETE FROM usage_daily WHERE day < ? LIMIT 10000`, before); err != nil {
		return fmt.Errorf("stats: prune: %w", err)
	}
	return nil
}

// RunOptions tune Run; zero fields take the defaults.
type RunOptions struct {
	Every time.Duration // how often to roll up (default 5 minutes)
	// CatchUp is how many finished days the first round rolls up again, to
	// fill what a stopped platform missed (default 7; at most the 100 days
	// Redis keeps).
	CatchUp int
}

// Run rolls up today and yesterday every opts.Every until ctx ends; serve
// starts it on every node. A lock in Redis (SET NX with a TTL a little
// shorter than the period, never released early) lets one node do a round
// per period; if that node dies, another takes the next round. Rounds that
// overlap anyway do no harm: the rollup is idempotent. Errors are logged
// and the next round tries again.
func (s *Store) Run(ctx context.Context, log *slog.Logger, opts RunOptions) {
	if opts.Every <= 0 {
		opts.Every = 5 * time.Minute
	}
	if opts.CatchUp <= 0 {
		opts.CatchUp = 7
	}
	back := opts.CatchUp
	tick := time.NewTicker(opts.Every)
	defer tick.Stop()
	for {
		ran, err := s.round(ctx, opts.Every, back)
		if err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "usage rollup failed", "err", err)
		}
		if ran && err == nil {
			back = 1 // caught up: from now on yesterday (late events) and today
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// round takes the lock and, if it got it, rolls up today and the back
// days before it, then prunes. It reports whether it ran.
func (s *Store) round(ctx context.Context, every time.Duration, back int) (bool, error) {
	ok, err := s.lock(ctx, every)
	if err != nil || !ok {
		return false, err
	}
	today := s.today()
	for i := back; i >= 0; i-- {
		if err := s.Rollup(ctx, addDays(today, -i)); err != nil {
			return true, err
		}
	}
	return true, s.prune(ctx)
}

// lock takes the rollup lock for a little less than a period.
func (s *Store) lock(ctx context.Context, every time.Duration) (bool, error) {
	ttl := every - every/10
	ok, err := s.c.rdb.SetNX(ctx, lockKey(s.c.prefix), s.c.now().UTC().Format(time.RFC3339), ttl).Result()
	if err != nil {
		return false, fmt.Errorf("stats: rollup lock: %w", err)
	}
	return ok, nil
}
