package stats

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counter records events in Redis. It holds no MySQL pool on purpose: the
// request path cannot reach MySQL through it.
type Counter struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
	// expiring remembers, for the current day, the keys this process has
	// already given their expiry, so that most events cost no EXPIREAT.
	expiring atomic.Pointer[expirySet]
	batch    atomic.Pointer[Batch] // this node's waiting events, if batched
}

// settle sends this node's waiting events before a read, so that a node
// reads its own writes; a failure is the batch's to log.
func (c *Counter) settle(ctx context.Context) {
	if b := c.batch.Load(); b != nil {
		_ = b.Flush(ctx)
	}
}

type expirySet struct {
	day  string
	keys sync.Map
}

// NewCounter returns a Counter on rdb; prefix starts every key (e.g. "ma").
func NewCounter(rdb redis.UniversalClient, prefix string) *Counter {
	return &Counter{rdb: rdb, prefix: prefix, now: time.Now}
}

// SetClock replaces the clock (tests).
func (c *Counter) SetClock(now func() time.Time) { c.now = now }

// Record counts one event: one pipelined round trip of at most three
// commands (HINCRBY, and for a successful login with a user two PFADDs),
// plus an EXPIREAT per key the first time this process writes the key on a
// day. It returns Redis's error and never panics; the login path should
// call RecordOrLog instead, so that counting can never fail a login.
func (c *Counter) Record(ctx context.Context, e Event) error {
	if err := e.validate(); err != nil {
		return err
	}
	day := dayOf(c.now())
	k := keysOf(c.prefix, e.TenantID, day)
	expireAt := day.Add(retention)
	d := dayKey(day)
	pipe := c.rdb.Pipeline()
	pipe.HIncrBy(ctx, k.counts(), field(e), 1)
	c.expire(ctx, pipe, d, k.counts(), expireAt)
	if e.Kind != KindFailed && e.UserID > 0 {
		uid := strconv.FormatInt(e.UserID, 10)
		for _, key := range []string{k.users(), k.usersOf(e.AppID, e.Way)} {
			pipe.PFAdd(ctx, key, uid)
			c.expire(ctx, pipe, d, key, expireAt)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.forget()
		return fmt.Errorf("stats: record: %w", err)
	}
	return nil
}

// expire queues EXPIREAT for key unless this process already did today.
// Two nodes, or two racing requests, may both send it: it is idempotent.
// d is the day's dayKey.
func (c *Counter) expire(ctx context.Context, pipe redis.Pipeliner, d, key string, at time.Time) {
	set := c.expiring.Load()
	if set == nil || set.day != d {
		set = &expirySet{day: d}
		c.expiring.Store(set)
	}
	// Load first: it does not box the key (LoadOrStore does, an
	// allocation on every event).
	if _, done := set.keys.Load(key); done {
		return
	}
	if _, done := set.keys.LoadOrStore(key, struct{}{}); !done {
		pipe.ExpireAt(ctx, key, at)
	}
}

// forget drops what expire remembers: after an error nobody knows which
// EXPIREATs Redis applied.
func (c *Counter) forget() { c.expiring.Store(nil) }

// RecordOrLog records e and logs a failure at warning level instead of
// returning it: what the sign-in code calls once it knows the outcome.
func (c *Counter) RecordOrLog(ctx context.Context, log *slog.Logger, e Event) {
	if err := c.Record(ctx, e); err != nil {
		log.WarnContext(ctx, "usage not counted", "tenant_id", e.TenantID, "app_id", e.AppID,
			"way", string(e.Way), "kind", string(e.Kind), "err", err)
	}
}
