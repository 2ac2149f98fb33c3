// Package flushloop runs a batch writer's flushes: every period, or at
// once when kicked, until stopped. The usage counts (tenants/stats) and
// the returning logins' times (tenants/users) gather in memory and are
// written by one.
package flushloop

import (
	"context"
	"sync"
	"time"
)

// Loop calls its flush in a goroutine of its own. It is safe for
// concurrent use.
type Loop struct {
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// Start calls flush every every, and when kicked, each time with a
// context that ends after timeout, until Stop.
func Start(every, timeout time.Duration, flush func(context.Context) error) *Loop {
	l := &Loop{kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-l.kick:
			case <-l.stop:
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			_ = flush(ctx) // the writer logs its own failures
			cancel()
		}
	}()
	return l
}

// Kick asks for a flush now; it never waits (a flush already asked for
// counts).
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Stop ends the loop and waits for a flush in progress; the caller then
// writes what is left itself.
func (l *Loop) Stop(ctx context.Context) error {
	l.once.Do(func() { close(l.stop) })
	select {
	case <-l.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
