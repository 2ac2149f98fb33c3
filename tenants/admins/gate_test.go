package admins_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"miniauth/tenants/admins"
)

func TestGate(t *testing.T) {
	ctx := context.Background()
	g := admins.NewGate(1, 10*time.Millisecond)
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { done <- g.Do(ctx, func() { close(held); <-release }) }()
	<-held
	ran := false
	if err := g.Do(ctx, func() { ran = true }); !errors.Is(err, admins.ErrBusy) || ran {
		t.Fatalf("with the slot held: %v, ran %v; want ErrBusy", err, ran)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := admins.NewGate(1, time.Hour).Do(cancelled, func() {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a free slot with a cancelled context: %v", err) // nobody is left to answer
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := g.Do(ctx, func() { ran = true }); err != nil || !ran {
		t.Fatalf("after release: %v, ran %v", err, ran)
	}
}
