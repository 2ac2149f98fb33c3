package stats

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"miniauth/tenants/internal/flushloop"
)

// Counted one by one, every login would cost a Redis round trip of its
// own for the charts (a pipeline of HINCRBY and two PFADDs), and so would
// every refusal: a flood of refused logins would multiply Redis's work by
// its size. A Batch gathers the events of this node in memory and sends
// them together: the same counter incremented a hundred times is one
// HINCRBY by a hundred, a HyperLogLog's users are one PFADD.
//
// What it costs: the charts show an event up to Every later (the usage
// API flushes its own node first, so a node reads its own writes), and
// the events of the last Every are lost if the process dies. Counting
// never blocks or fails a login: past MaxPending waiting events, events
// are dropped and the next flush logs how many.
type Batch struct {
	c   *Counter
	log *slog.Logger

	mu         sync.Mutex
	pending    batchData
	dropped    int
	maxPending int // DefaultMaxPending; tests lower it

	flushing sync.Mutex // one flush at a time: Flush from a reader, the loop, Close
	loop     *flushloop.Loop
}

// Batch's defaults.
const (
	DefaultEvery      = 200 * time.Millisecond
	DefaultMaxPending = 50_000
	kickAt            = 1024 // events waiting that start a flush before the tick
)

type countKey struct{ key, field string }

// batchData is what waits: increments by counter, users by HyperLogLog,
// and each key's day (for its expiry).
type batchData struct {
	n      int
	counts map[countKey]int64
	users  map[string][]string
	days   map[string]time.Time
}

func newBatchData() batchData {
	return batchData{counts: map[countKey]int64{}, users: map[string][]string{}, days: map[string]time.Time{}}
}

// NewBatch starts a batch on c that sends every every (DefaultEvery when
// 0) until Close; log hears of what could not be sent.
func NewBatch(c *Counter, log *slog.Logger, every time.Duration) *Batch {
	if every <= 0 {
		every = DefaultEvery
	}
	b := &Batch{c: c, log: log, pending: newBatchData(), maxPending: DefaultMaxPending}
	c.batch.Store(b)
	b.loop = flushloop.Start(every, 5*time.Second, b.Flush)
	return b
}

// Counter is the counter the batch sends to (for the readers).
func (b *Batch) Counter() *Counter { return b.c }

// RecordOrLog queues e; an invalid event is logged at warning level, as
// Counter.RecordOrLog does. It never waits for Redis.
func (b *Batch) RecordOrLog(ctx context.Context, log *slog.Logger, e Event) {
	if err := e.validate(); err != nil {
		log.WarnContext(ctx, "usage not counted", "tenant_id", e.TenantID, "app_id", e.AppID,
			"way", string(e.Way), "kind", string(e.Kind), "err", err)
		return
	}
	day := dayOf(b.c.now())
	k := keysOf(b.c.prefix, e.TenantID, day)
	b.mu.Lock()
	if b.pending.n >= b.maxPending {
		b.dropped++
		b.mu.Unlock()
		return
	}
	p := &b.pending
	p.n++
	p.counts[countKey{k.counts(), field(e)}]++
	p.days[k.counts()] = day
	if e.Kind != KindFailed && e.UserID > 0 {
		uid := strconv.FormatInt(e.UserID, 10)
		for _, key := range [...]string{k.users(), k.usersOf(e.AppID, e.Way)} {
			p.users[key] = append(p.users[key], uid)
			p.days[key] = day
		}
	}
	full := p.n >= kickAt
	b.mu.Unlock()
	if full {
		b.loop.Kick()
	}
}

// Flush sends what waits now, in one pipelined round trip; what Redis
// refuses is logged and dropped (a retry could count it twice).
func (b *Batch) Flush(ctx context.Context) error {
	b.flushing.Lock()
	defer b.flushing.Unlock()
	b.mu.Lock()
	p, dropped := b.pending, b.dropped
	if p.n > 0 {
		b.pending = newBatchData()
	}
	b.dropped = 0
	b.mu.Unlock()
	if dropped > 0 {
		b.log.Warn("usage not counted: too many events waiting for Redis", "events", dropped)
	}
	if p.n == 0 {
		return nil
	}
	pipe := b.c.rdb.Pipeline()
	for k, n := range p.counts {
		pipe.HIncrBy(ctx, k.key, k.field, n)
	}
	for key, uids := range p.users {
		members := make([]any, len(uids))
		for i, u := range uids {
			members[i] = u
		}
		pipe.PFAdd(ctx, key, members...)
	}
	for key, day := range p.days {
		b.c.expire(ctx, pipe, dayKey(day), key, day.Add(retention))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.c.forget()
		b.log.Warn("usage not counted", "events", p.n, "err", err)
		return err
	}
	return nil
}

// Close sends what waits and stops the batch; events queued later are
// sent by no one.
func (b *Batch) Close(ctx context.Context) error {
	if err := b.loop.Stop(ctx); err != nil {
		return err
	}
	return b.Flush(ctx)
}
