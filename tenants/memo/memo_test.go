package memo_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/memo"
	"miniauth/tenants/tenantstest"
)

// node is one server's bus and cache over its own Redis client.
type node struct {
	bus   *memo.Bus
	cache *memo.Cache[string]
	loads atomic.Int64
}

func newNode(t *testing.T, rdb redis.UniversalClient, prefix string) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	n := &node{bus: memo.NewBus(rdb, prefix, slog.New(slog.DiscardHandler))}
	n.cache = memo.NewCache[string](n.bus, "things", time.Hour, 100)
	go n.bus.Listen(ctx)
	waitFor(t, "the bus to subscribe", n.bus.Listening)
	return n
}

// get reads key through the cache; the source of truth is *value.
func (n *node) get(t *testing.T, key string, value *atomic.Value) string {
	t.Helper()
	v, err := n.cache.Get(context.Background(), key, func(context.Context) (string, error) {
		n.loads.Add(1)
		return value.Load().(string), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // generous: a slow machine is not a failure
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCacheKeepsAndEveryNodeForgets(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	a, b := newNode(t, rdb, prefix), newNode(t, rdb, prefix)
	var v atomic.Value
	v.Store("one")

	for range 3 {
		if got := a.get(t, "k", &v); got != "one" {
			t.Fatalf("get = %q", got)
		}
	}
	if n := a.loads.Load(); n != 1 {
		t.Fatalf("three reads loaded %d times, want 1", n)
	}
	if v, ok := a.cache.Peek("k"); !ok || v != "one" {
		t.Fatalf("Peek = %q, %v", v, ok)
	}
	if _, ok := a.cache.Peek("never-read"); ok {
		t.Fatal("Peek found a key nobody loaded")
	}
	b.get(t, "k", &v)

	// A change announced by a: a forgets at once, b when the message lands.
	v.Store("two")
	a.cache.Invalidate(context.Background(), "k")
	if _, ok := a.cache.Peek("k"); ok {
		t.Fatal("Peek found a key its own node invalidated")
	}
	if got := a.get(t, "k", &v); got != "two" {
		t.Fatalf("a after its own invalidation = %q", got)
	}
	waitFor(t, "b to forget", func() bool { return b.get(t, "k", &v) == "two" })

	// Other keys stay; InvalidateAll drops them too.
	a.get(t, "other", &v)
	loads := a.loads.Load()
	a.get(t, "other", &v)
	if a.loads.Load() != loads {
		t.Fatal("an untouched key was loaded again")
	}
	b.cache.InvalidateAll(context.Background())
	waitFor(t, "a to drop everything", func() bool { return a.cache.Len() == 0 })
}

// A load that read the record before a change, and finishes after it was
// announced, must not keep what it read.
func TestLoadRacingAnInvalidationIsNotKept(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	a := newNode(t, rdb, prefix)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan string)
	go func() {
		v, _ := a.cache.Get(context.Background(), "k", func(context.Context) (string, error) {
			close(started)
			<-release
			return "stale", nil
		})
		done <- v
	}()
	<-started
	a.cache.Invalidate(context.Background(), "k")
	close(release)
	if v := <-done; v != "stale" {
		t.Fatalf("the racing caller got %q", v)
	}
	var v atomic.Value
	v.Store("fresh")
	if got := a.get(t, "k", &v); got != "fresh" {
		t.Fatalf("after the race the cache answered %q: it kept a stale load", got)
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	a := newNode(t, rdb, prefix)
	boom := errors.New("mysql down")
	if _, err := a.cache.Get(context.Background(), "k", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var v atomic.Value
	v.Store("up")
	if got := a.get(t, "k", &v); got != "up" {
		t.Fatalf("after an error: %q", got)
	}
}

func TestBoundedSize(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	a := newNode(t, rdb, prefix)
	var v atomic.Value
	v.Store("x")
	for i := range 1000 {
		a.get(t, string(rune('a'+i%26))+string(rune(i)), &v)
	}
	if n := a.cache.Len(); n > 100 {
		t.Fatalf("cache of max 100 holds %d", n)
	}
}

// cutOffPair is two nodes on one Redis; a reaches it through a proxy the
// test can take down.
func cutOffPair(t *testing.T) (a, b *node, proxy *tenantstest.Proxy) {
	t.Helper()
	rdb, prefix := tenantstest.Redis(t)
	opt, _ := redis.ParseURL(tenantstest.RedisURL())
	proxy = tenantstest.NewProxy(t, opt.Addr)
	opt.Addr = proxy.Addr()
	opt.MaxRetries, opt.DialTimeout, opt.ReadTimeout = 0, 200*time.Millisecond, 200*time.Millisecond
	cut := redis.NewClient(opt)
	t.Cleanup(func() { cut.Close() })
	return newNode(t, cut, prefix), newNode(t, rdb, prefix), proxy
}

// A node cut off from Redis misses announcements: when its subscription
// comes back it forgets everything.
func TestResubscribingForgetsWhatMayHaveChanged(t *testing.T) {
	a, b, proxy := cutOffPair(t)

	var v atomic.Value
	v.Store("before")
	a.get(t, "k", &v)

	proxy.Down()
	v.Store("after")
	b.cache.Invalidate(context.Background(), "k") // a cannot hear this
	proxy.Up(t)
	waitFor(t, "a to forget after resubscribing", func() bool { return a.get(t, "k", &v) == "after" })
}

// An announcement that could not be published is sent once Redis is back.
func TestUnpublishedAnnouncementIsRetried(t *testing.T) {
	a, b, proxy := cutOffPair(t)

	var v atomic.Value
	v.Store("before")
	b.get(t, "k", &v)

	proxy.Down()
	v.Store("after")
	a.cache.Invalidate(context.Background(), "k") // fails to publish
	time.Sleep(300 * time.Millisecond)
	if got := b.get(t, "k", &v); got != "before" {
		t.Fatalf("b forgot without any message: %q (the test proves nothing)", got)
	}
	proxy.Up(t)
	waitFor(t, "the retried announcement to reach b", func() bool { return b.get(t, "k", &v) == "after" })
}
