package admins

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// ErrBusy is returned when every password check slot of this node stayed
// taken for the gate's whole wait.
var ErrBusy = errors.New("admins: too many password checks at once")

// Gate bounds the bcrypt work running at once on a node. Each check costs
// about 0.2 s of a core and anyone may ask for one (a sign-in needs no
// account), so without a bound a flood of sign-ins takes every core.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// DefaultGateWait is how long a check waits for a slot before ErrBusy.
const DefaultGateWait = time.Second

// NewGate returns a Gate running at most n checks at once (2×GOMAXPROCS
// when n ≤ 0); a check that gets no slot within wait fails with ErrBusy.
func NewGate(n int, wait time.Duration) *Gate {
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	if wait <= 0 {
		wait = DefaultGateWait
	}
	return &Gate{slots: make(chan struct{}, n), wait: wait}
}

// Do runs f in a slot, waiting for one at most the gate's wait (or until
// ctx ends: nobody is left to answer).
func (g *Gate) Do(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	f()
	return nil
}
