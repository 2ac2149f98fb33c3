package e2e

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrains sends SIGTERM while logins stalled in WeChat are in
// flight and /me requests keep coming: /readyz turns 503 at once while the
// node still serves during MINIAUTH_DRAIN_DELAY, the load balancer (the
// load here) stops sending, every in-flight request completes with 200, no
// request sees a reset, and the process exits 0 at once, even with an idle
// connection open that never sent a request.
func TestSIGTERMDrains(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	// The drain delay and WeChat's latency leave room for a slow machine:
	// the test's own steps between SIGTERM and the end of the drain delay
	// take milliseconds, and the stalled logins (3.5 s, inside the WeChat
	// client's 4 s attempt timeout) outlast the delay.
	const drainDelay = 2 * time.Second
	n := s.start("MINIAUTH_DRAIN_DELAY=" + drainDelay.String())
	token, _ := n.mustLogin(s.wx, "acme", appID, "steady")

	// Logins that will still wait on WeChat when the drain delay is over.
	s.wx.setFaults(faults{LatencyMS: 3500})
	before := s.wx.calls()
	inflight := make([]result, 4)
	var wg sync.WaitGroup
	for k := range inflight {
		code := s.wx.code(appID, fmt.Sprintf("inflight-%d", k))
		wg.Add(1)
		go func() {
			defer wg.Done()
			inflight[k] = n.do("POST", "/t/acme/login", `{"code":"`+code+`"}`)
		}()
	}
	eventually(t, 10*time.Second, "logins waiting on WeChat", func() string {
		if c := s.wx.calls() - before; c < len(inflight) {
			return fmt.Sprintf("%d of %d in flight", c, len(inflight))
		}
		return ""
	})

	// The load balancer sends /me until readiness fails (acme's budgets are
	// lifted: four workers on one token would spend its default budget).
	var clock phaseClock
	clock.set("serving")
	l := runLoad(4, clock.get, func(w, i int) (string, result) { return "me", n.me("acme", token) })
	time.Sleep(100 * time.Millisecond)

	// A load balancer's preconnect: a connection that has not sent a byte.
	pre, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer pre.Close()

	if err := n.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	clock.set("sigterm")
	sent := time.Now()
	eventually(t, drainDelay/2, "/readyz fails after SIGTERM", func() string {
		if r := n.do("GET", "/readyz", ""); r.status != 503 || r.code != "unavailable" {
			return r.String()
		}
		return ""
	})
	t.Logf("/readyz answered 503 %dms after SIGTERM", time.Since(sent).Milliseconds())
	clock.set("draining")
	// Still serving while the load balancer notices.
	if r := n.me("acme", token); r.status != 200 {
		t.Errorf("/me during the drain delay: %s", r)
	}
	results := l.finish()
	summarize(t, results)
	for _, r := range results {
		if r.err != nil || r.status != 200 {
			t.Errorf("%s %s: %s", r.phase, r.what, r.result)
		}
	}

	wg.Wait()
	for k, r := range inflight {
		if r.err != nil || r.status != 200 {
			t.Errorf("in-flight login %d: %s", k, r)
		} else {
			t.Logf("in-flight login %d finished with 200 after %dms", k, r.took.Milliseconds())
		}
	}
	// Well before the server's own 20 s shutdown deadline.
	if code := n.exit(10 * time.Second); code != 0 {
		t.Fatalf("miniauth exited %d after SIGTERM; log:\n%s", code, n.proc.Log.String())
	}
	t.Logf("exited 0 %dms after SIGTERM (drain delay %s)", time.Since(sent).Milliseconds(), drainDelay)
	if r := n.do("GET", "/healthz", ""); r.err == nil {
		t.Errorf("a request after exit got an answer: %s", r)
	}
}
