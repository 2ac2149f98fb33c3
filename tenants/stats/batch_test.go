package stats

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestBatchCountsAsRecord: the same events give the same charts whether
// each is written at once or gathered by a Batch, and a read on the node
// sees what its batch holds (the read flushes it first).
func TestBatchCountsAsRecord(t *testing.T) {
	e := newEnv(t)
	direct, batched := e.tenant("direct"), e.tenant("batched")
	events := func(tenant int64) []Event {
		evs := []Event{newUser(tenant, 1, WayMiniProgram, 100), newUser(tenant, 0, WaySMS, 103),
			failed(tenant, 1, WayMiniProgram, "invalid_code"), failed(tenant, 0, WaySMS, "rate_limited"),
			{TenantID: tenant, AppID: 2, Way: WayWebsite, Kind: KindFailed}}
		for range 50 {
			evs = append(evs, login(tenant, 1, WayMiniProgram, 101), login(tenant, 2, WayWebsite, 102),
				failed(tenant, 1, WayMiniProgram, "invalid_code"))
		}
		return evs
	}
	e.record(events(direct)...)
	b := NewBatch(e.c, discard(), time.Hour) // no tick during the test: only the read flushes
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	for _, ev := range events(batched) {
		b.RecordOrLog(context.Background(), discard(), ev)
	}
	for _, q := range []Query{{}, {AppID: 1}, {Way: WaySMS}, {AppID: 2, Way: WayWebsite}} {
		want, got := e.usage(direct, q), e.usage(batched, q)
		if last(got.Logins) != 102 && q == (Query{}) {
			t.Fatalf("batched logins today %d, want 102", last(got.Logins))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("query %+v batched:\n%+v\nwritten at once:\n%+v", q, got, want)
		}
	}
	// 150 events of one counter are one HINCRBY: the hash holds the sum.
	k := keysOf(e.prefix, batched, noon)
	if n, err := e.rdb.HGet(context.Background(), k.counts(), "1:"+string(WayMiniProgram)+":failed:invalid_code").Int(); err != nil || n != 51 {
		t.Fatalf("invalid_code failures %d, %v; want 51", n, err)
	}
}

// TestBatchFlushesOnItsOwn: with nobody reading, the events reach Redis
// within the batch's period; Close sends what is left.
func TestBatchFlushesOnItsOwn(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	b := NewBatch(e.c, discard(), 20*time.Millisecond)
	b.RecordOrLog(context.Background(), discard(), login(a, 1, WayMiniProgram, 1))
	key := keysOf(e.prefix, a, noon).counts()
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := e.rdb.HLen(context.Background(), key).Result(); n != 1; n, _ = e.rdb.HLen(context.Background(), key).Result() {
		if time.Now().After(deadline) {
			t.Fatal("the event never reached Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.RecordOrLog(context.Background(), discard(), login(a, 2, WayWebsite, 2))
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.rdb.HLen(context.Background(), key).Result(); n != 2 {
		t.Fatalf("%d fields after Close, want 2", n)
	}
	if ttl, _ := e.rdb.TTL(context.Background(), key).Result(); ttl <= 0 {
		t.Fatalf("the day's hash has no expiry (%v)", ttl)
	}
}

// TestBatchRedisDown: a flush that Redis refuses is a warning naming how
// many events were lost, never an error for the login or a panic; events
// past the limit of waiting ones are dropped and counted, never queued
// without bound; an invalid event is logged and not queued.
func TestBatchRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	b := NewBatch(NewCounter(rdb, "mat"), log, time.Hour)
	b.maxPending = 10
	for i := range 15 {
		b.RecordOrLog(context.Background(), log, login(1, 1, WayMiniProgram, int64(i+1)))
	}
	b.RecordOrLog(context.Background(), log, Event{TenantID: 1, Way: "carrier-pigeon", Kind: KindLogin})
	if err := b.Flush(context.Background()); err == nil {
		t.Fatal("a flush with Redis down returned nil")
	}
	out := buf.String()
	for _, want := range []string{"too many events waiting for Redis\" events=5", "usage not counted\" events=10", "carrier-pigeon"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log %q lacks %q", out, want)
		}
	}
	if b.pending.n != 0 {
		t.Fatalf("%d events still waiting after the flush: a failed flush must not send them twice", b.pending.n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Fatalf("Close with nothing waiting: %v", err)
	}
}
