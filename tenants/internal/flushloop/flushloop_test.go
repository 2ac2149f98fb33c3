package flushloop

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoop: a kick flushes without waiting for the period, the period
// flushes without a kick, and after Stop nothing flushes any more.
func TestLoop(t *testing.T) {
	var n atomic.Int64
	flushed := make(chan struct{}, 16)
	flush := func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a flush without a deadline")
		}
		n.Add(1)
		flushed <- struct{}{}
		return nil
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-flushed:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no flush within 30 s", what)
		}
	}

	kicked := Start(time.Hour, time.Second, flush)
	kicked.Kick()
	kicked.Kick() // a second kick while one waits counts as the same
	wait("a kick")
	if err := kicked.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := n.Load()
	kicked.Kick() // after Stop: nobody listens, nothing blocks
	if err := kicked.Stop(context.Background()); err != nil {
		t.Fatalf("a second Stop: %v", err)
	}
	if n.Load() != before {
		t.Fatalf("%d flushes after Stop", n.Load()-before)
	}

	ticking := Start(10*time.Millisecond, time.Second, flush)
	wait("the period")
	if err := ticking.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
