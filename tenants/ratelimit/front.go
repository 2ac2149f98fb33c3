package ratelimit

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// Checked one by one in Redis, the budgets would cost a Redis script per
// budget on every request (on GET /me and introspection as much as the
// request itself, three per login). A front spares Redis the calls that
// cannot matter, and batches the others, while the budget stays the shared
// GCRA in Redis:
//
//   - Cold: the first share-th of a budget a key spends on this node in a
//     window is not sent to Redis. A key that light here cannot be over its
//     budget unless spread over more than `shares` nodes.
//   - Hot: past that, this node charges Redis for the requests it let
//     through uncharged plus a block of requests in advance, and serves the
//     block from memory; when Redis refuses a block, it asks for the owed
//     requests and this one only, so on one node a key is refused exactly
//     when its budget is spent.
//
// Accuracy: in each window, a key may exceed its budget by the cold share
// of each node where it stayed cold, and may be refused early by the unused
// block each node holds. With shares = 8 that is an eighth of the budget
// per node either way. A budget under 16 (one person's logins) has a block
// of one: a rare login costs no Redis call, a second one in the window
// charges both.
const shares = 8

type front struct {
	period time.Duration // the budget's window: a minute per token, a second per API key
	now    func() time.Time

	mu        sync.Mutex
	cur, prev map[keyHash]*use // two generations: entries idle for two periods are dropped
	// The keys whose Redis call is in flight, closed when it answers: few
	// at a time, so kept here rather than in every entry.
	charging map[*use]chan struct{}
	seeds    [2]maphash.Seed // this node's, for keyHash
	rotated  time.Time
	base     time.Time // the entries' times count from here: set by the first request
}

// use is what this node knows of one key in the current window: 28
// bytes, a 32-byte allocation (budgets fit 32 bits).
type use struct {
	start  time.Duration // of the window, since the front's base (a third of a time.Time)
	until  time.Duration // refused by Redis until then (since the base): refuse here without asking
	n      int32         // requests let through in the window
	owed   int32         // of those, how many Redis was not told of
	credit int32         // requests Redis already counted that are not used yet
}

func newFront(period time.Duration) *front {
	return &front{period: period, now: time.Now, cur: make(map[keyHash]*use), prev: make(map[keyHash]*use),
		charging: make(map[*use]chan struct{}),
		seeds:    [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// keyHash is a key as the front keeps it: 128 bits of two seeded hashes
// of it, so that an entry costs no copy of its key (a session id, an
// identity's app and openid) and every key takes 16 bytes. Two keys that
// share a hash would share a budget: with random seeds of each node's own,
// nobody can aim for that, and by chance it takes ~2^64 keys.
type keyHash [16]byte

func (f *front) hash(key []byte) keyHash {
	var h keyHash
	binary.LittleEndian.PutUint64(h[:8], maphash.Bytes(f.seeds[0], key))
	binary.LittleEndian.PutUint64(h[8:], maphash.Bytes(f.seeds[1], key))
	return h
}

// blockOf is both the cold share and the size of a hot block.
func blockOf(l redis_rate.Limit) int32 { return int32(max(1, l.Burst/shares)) }

// allow decides about one request of key; charge asks Redis for n events.
func (f *front) allow(ctx context.Context, key []byte, l redis_rate.Limit,
	charge func(ctx context.Context, n int) (*redis_rate.Result, error)) (*redis_rate.Result, error) {
	block := blockOf(l)
	f.mu.Lock()
	for {
		u := f.entry(key)
		if wait := u.until - f.age(f.now()); wait > 0 {
			f.mu.Unlock()
			return &redis_rate.Result{Limit: l, Allowed: 0, RetryAfter: wait}, nil
		}
		if u.credit > 0 {
			u.credit--
			u.n++
			f.mu.Unlock()
			return &redis_rate.Result{Limit: l, Allowed: 1}, nil
		}
		if u.n < block {
			u.n++
			u.owed++
			f.mu.Unlock()
			return &redis_rate.Result{Limit: l, Allowed: 1}, nil
		}
		wait, busy := f.charging[u]
		if !busy {
			return f.chargeFor(ctx, u, l, block, charge) // unlocks f.mu
		}
		// Another request of this key is asking Redis: wait for its answer
		// (and its block) rather than charge the same owed requests twice.
		f.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		f.mu.Lock()
	}
}

// chargeFor asks Redis for u's owed requests, this one and a block in
// advance; f.mu is held on entry and released.
func (f *front) chargeFor(ctx context.Context, u *use, l redis_rate.Limit, block int32,
	charge func(ctx context.Context, n int) (*redis_rate.Result, error)) (*redis_rate.Result, error) {
	owed, done := u.owed, make(chan struct{})
	f.charging[u] = done
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.charging, u)
		f.mu.Unlock()
		close(done)
	}()

	res, err := charge(ctx, int(owed+block))
	if err != nil {
		return nil, err
	}
	credit := block - 1
	if res.Allowed == 0 {
		// Not that much left: is there room for the owed and this one?
		if res, err = charge(ctx, int(owed+1)); err != nil {
			return nil, err
		}
		credit = 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if res.Allowed == 0 {
		u.until = f.age(f.now()) + res.RetryAfter
		return res, nil
	}
	u.n++
	u.owed = max(0, u.owed-owed)
	u.credit += credit
	return &redis_rate.Result{Limit: l, Allowed: 1, Remaining: res.Remaining}, nil
}

// age is t as the time since the front's base.
func (f *front) age(t time.Time) time.Duration { return t.Sub(f.base) }

// entry returns key's use in the current window; f.mu is held.
func (f *front) entry(key []byte) *use {
	wall := f.now()
	if f.base.IsZero() {
		f.base = wall
	}
	if wall.Sub(f.rotated) >= f.period {
		f.prev, f.cur, f.rotated = f.cur, make(map[keyHash]*use, len(f.cur)), wall
	}
	now := f.age(wall)
	k := f.hash(key)
	u, ok := f.cur[k]
	if !ok {
		if u, ok = f.prev[k]; ok {
			delete(f.prev, k)
		} else {
			u = &use{start: now}
		}
		f.cur[k] = u
	}
	if now-u.start >= f.period {
		// A new window: what was let through uncharged is forgiven, and
		// credit older than a window is dropped (Redis has let it go too).
		credit := u.credit
		if now-u.start >= 2*f.period {
			credit = 0
		}
		*u = use{start: now, credit: credit}
	}
	return u
}
