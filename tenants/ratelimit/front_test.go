package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// budget is a stand-in for the shared GCRA: n events left, no refill.
type budget struct {
	left, calls int
}

func (b *budget) charge(_ context.Context, n int) (*redis_rate.Result, error) {
	b.calls++
	if n > b.left {
		return &redis_rate.Result{Allowed: 0, RetryAfter: time.Second}, nil
	}
	b.left -= n
	return &redis_rate.Result{Allowed: n, Remaining: b.left}, nil
}

func TestFrontSparesRedisAndKeepsTheBudget(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	f := newFront(time.Minute)
	f.now = func() time.Time { return now }
	l := redis_rate.PerMinute(80) // blocks of 10
	b := &budget{left: 80}

	allowed := 0
	for range 100 {
		res, err := f.allow(ctx, []byte("k"), l, b.charge)
		if err != nil {
			t.Fatal(err)
		}
		allowed += res.Allowed
	}
	// The cold share is charged when the key turns hot: on one node the
	// budget is exact. Redis sees the requests in blocks.
	if allowed != 80 {
		t.Fatalf("allowed %d of 100 with a budget of 80", allowed)
	}
	if b.left != 0 {
		t.Fatalf("Redis was charged %d of 80 for %d requests", 80-b.left, allowed)
	}
	callsAtLimit := b.calls
	if callsAtLimit > 15 {
		t.Fatalf("%d Redis calls for 100 requests, want blocks", callsAtLimit)
	}
	// Refused: the node refuses on its own until Redis's Retry-After.
	res, _ := f.allow(ctx, []byte("k"), l, b.charge)
	if res.Allowed != 0 || res.RetryAfter <= 0 || b.calls != callsAtLimit {
		t.Fatalf("after refusal: %+v, %d calls (was %d)", res, b.calls, callsAtLimit)
	}
}

func TestFrontLeavesColdKeysInMemory(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	f := newFront(time.Minute)
	f.now = func() time.Time { return now }
	l := redis_rate.PerMinute(600) // cold share 75 a minute
	b := &budget{left: 600}
	for minute := range 5 {
		for range 60 { // one a second: a busy real user
			if res, _ := f.allow(ctx, []byte("k"), l, b.charge); res.Allowed != 1 {
				t.Fatalf("minute %d: refused", minute)
			}
			now = now.Add(time.Second)
		}
	}
	if b.calls != 0 {
		t.Fatalf("a key at 60 a minute of 600 cost %d Redis calls", b.calls)
	}
	// Entries of keys gone quiet are dropped.
	now = now.Add(3 * time.Minute)
	f.mu.Lock()
	f.entry([]byte("other"))
	f.entry([]byte("other2"))
	now = now.Add(time.Minute)
	f.entry([]byte("other"))
	_, kept := f.cur[f.hash([]byte("k"))]
	_, keptPrev := f.prev[f.hash([]byte("k"))]
	f.mu.Unlock()
	if kept || keptPrev {
		t.Fatal("an idle key's entry outlived two periods")
	}
}

func TestFrontPassesRedisErrors(t *testing.T) {
	f := newFront(time.Second)
	l := redis_rate.PerSecond(16) // blocks of 2
	fail := func(context.Context, int) (*redis_rate.Result, error) { return nil, context.DeadlineExceeded }
	f.allow(context.Background(), []byte("k"), l, fail) // cold
	f.allow(context.Background(), []byte("k"), l, fail) // cold
	if _, err := f.allow(context.Background(), []byte("k"), l, fail); err == nil {
		t.Fatal("a Redis failure on a hot key was swallowed")
	}
	tight := redis_rate.PerMinute(10) // block of 1: the first is cold
	if _, err := f.allow(context.Background(), []byte("tight"), tight, fail); err != nil {
		t.Fatalf("a cold request asked Redis: %v", err)
	}
	if _, err := f.allow(context.Background(), []byte("tight"), tight, fail); err == nil {
		t.Fatal("a Redis failure on a tight budget was swallowed")
	}
}

// Many requests of one hot key at once: one Redis call at a time for the
// key, so what it let through uncharged is charged once, and the budget is
// neither exceeded nor wasted by more than the block a node holds.
func TestFrontChargesOnceUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	f := newFront(time.Minute)
	now := time.Unix(1_700_000_000, 0) // one period throughout, however long the test takes
	f.now = func() time.Time { return now }
	l := redis_rate.PerMinute(800) // blocks of 100
	var mu sync.Mutex
	b := &budget{left: 800}
	charge := func(ctx context.Context, n int) (*redis_rate.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(time.Millisecond) // a round trip, so that callers pile up
		return b.charge(ctx, n)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 20 {
				res, err := f.allow(ctx, []byte("k"), l, charge)
				if err != nil {
					t.Error(err)
					return
				}
				allowed.Add(int64(res.Allowed))
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got > 800 || got < 800-100 {
		t.Fatalf("64 callers got %d of 1280 requests through a budget of 800 (block 100)", got)
	}
}
