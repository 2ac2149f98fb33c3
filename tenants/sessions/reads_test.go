package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// pipelines counts the pipelines of GETs a client sends, and the GETs in
// each.
type pipelines struct {
	mu    sync.Mutex
	sizes []int
}

func (p *pipelines) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (p *pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (p *pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p.mu.Lock()
		gets := 0
		for _, c := range cmds {
			if c.Name() == "get" {
				gets++
			}
		}
		if gets > 0 { // not a new connection's CLIENT SETINFO
			p.sizes = append(p.sizes, gets)
		}
		p.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (p *pipelines) total() (n, cmds int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sizes {
		cmds += s
	}
	return len(p.sizes), cmds
}

// eventually waits for cond, as long as a slow machine may need.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// GETs that find the lanes busy go out together, and each gets its own
// session's answer: live, revoked, unknown or another tenant's.
func TestReadsBatchQueuedGets(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		const n = 40
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = create(t, s, 1, int64(100+i))
		}
		revoked, err := s.Get(ctx, 1, tokens[3], policy)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, 1, revoked.UserID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		unknown := create(t, s, 1, 999)
		if _, err := s.RevokeUser(ctx, 1, 999); err != nil {
			t.Fatal(err)
		}
		p := &pipelines{}
		rdb.AddHook(p)

		queued, release := sessions.HoldReads(s)
		type answer struct {
			sess *sessions.Session
			err  error
		}
		answers := make([]answer, n+2)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				switch {
				case i < n:
					answers[i].sess, answers[i].err = s.Get(ctx, 1, tokens[i], policy)
				case i == n:
					answers[i].sess, answers[i].err = s.Get(ctx, 1, unknown, policy)
				default: // tenant 2 does not know tenant 1's token
					answers[i].sess, answers[i].err = s.Get(ctx, 2, tokens[0], policy)
				}
			})
		}
		eventually(t, "every GET to queue", func() bool { return queued() == n+2 })
		if got, _ := p.total(); got != 0 {
			t.Fatalf("%d pipelines sent while the lane was held", got)
		}
		release()
		wg.Wait()

		for i, a := range answers {
			switch {
			case i == 3 || i >= n:
				if !errors.Is(a.err, sessions.ErrNotFound) {
					t.Errorf("GET %d = %+v, %v; want ErrNotFound", i, a.sess, a.err)
				}
			case a.err != nil || a.sess.UserID != int64(100+i):
				t.Errorf("GET %d = %+v, %v; want user %d", i, a.sess, a.err, 100+i)
			}
		}
		// On one Redis the queue is one pipeline; a cluster client splits
		// it by node, and sends each node's part as one.
		if pipes, cmds := p.total(); pipes != 1 || cmds < n+2 {
			t.Fatalf("%d pipelines carrying %d commands; want the %d queued GETs in one", pipes, cmds, n+2)
		}
	})
}

// A queued GET whose request gives up returns at once; the others in its
// batch are answered all the same.
func TestReadsQueuedGetGivesUp(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
	token := create(t, s, 1, 7)
	queued, release := sessions.HoldReads(s)

	gone, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := s.Get(gone, 1, token, policy)
		gaveUp <- err
	}()
	kept := make(chan error, 1)
	go func() {
		sess, err := s.Get(ctx, 1, token, policy)
		if err == nil && sess.UserID != 7 {
			err = fmt.Errorf("user %d, want 7", sess.UserID)
		}
		kept <- err
	}()
	eventually(t, "both GETs to queue", func() bool { return queued() == 2 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned GET returned %v; want context.Canceled", err)
	}
	release()
	if err := <-kept; err != nil {
		t.Fatal(err)
	}
}

// With Redis unreachable, a queued GET fails like a lone one: an error that
// is not ErrNotFound, well within the client's timeouts, and never a hang.
func TestReadsRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	s := sessions.NewStore(rdb, "mat-down", tenantstest.Keyring(t))
	token := sessions.TokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	if !sessions.WellFormed(token) {
		t.Fatalf("test token %q is not well formed", token)
	}
	if _, err := s.Get(context.Background(), 1, token, policy); err == nil || errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("lone GET with Redis down = %v; want a Redis error", err)
	}

	queued, release := sessions.HoldReads(s)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := s.Get(context.Background(), 1, token, policy)
			errs <- err
		}()
	}
	eventually(t, "three GETs to queue", func() bool { return queued() == 3 })
	release()
	for range 3 {
		if err := <-errs; err == nil || errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("queued GET with Redis down = %v; want a Redis error", err)
		}
	}
}
