package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

// breakerState reads miniauth_wechat_breaker_state for appID from
// /metrics on a node's metrics address (never its public one): "0" closed,
// "1" half-open, "2" open, "" not reported.
func breakerState(t *testing.T, metrics *node) string {
	t.Helper()
	r := metrics.do("GET", "/metrics", "")
	if r.status != 200 {
		t.Fatalf("/metrics: %s", r)
	}
	m := regexp.MustCompile(`(?m)^miniauth_wechat_breaker_state\{appid="` + appID + `"\} (\S+)$`).FindStringSubmatch(r.raw)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestWeChatFaults drives the simulator's faults: garbage and a busy
// WeChat (-1) give a clear 502 wechat_unavailable; a slow WeChat (5 s) is
// cut off at the client's timeout; repeated failures open the app's
// breaker, which then fails fast without calling WeChat, shows in
// /metrics, and closes again once WeChat is well.
func TestWeChatFaults(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	// Open long enough that the three fast failures below land inside it on
	// any machine.
	metricsAddr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	n := s.start("MINIAUTH_WECHAT_BREAKER_OPEN=5s", "MINIAUTH_METRICS_ADDR="+metricsAddr)
	metrics := &node{t: t, url: "http://" + metricsAddr}
	i := 0
	login := func() result {
		i++
		return n.login(s.wx, "acme", appID, fmt.Sprintf("user-%d", i))
	}
	want := func(what string, r result, status int, code string) {
		t.Helper()
		if r.err != nil || r.status != status || r.code != code {
			t.Fatalf("%s: login = %s, want %d %s", what, r, status, code)
		}
		t.Logf("%-24s %d %-20s in %4dms", what, r.status, r.code, r.took.Milliseconds())
	}

	want("healthy", login(), 200, "")
	s.wx.setFaults(faults{Garbage: true})
	want("garbage", login(), 502, "wechat_unavailable")
	s.wx.setFaults(faults{})
	want("healthy again", login(), 200, "") // resets the breaker's count
	s.wx.setFaults(faults{SystemErrors: 2}) // -1, and -1 again on the retry
	want("busy (-1)", login(), 502, "wechat_unavailable")
	s.wx.setFaults(faults{SystemErrors: 1}) // -1 once: the retry succeeds
	want("busy once", login(), 200, "")
	if st := breakerState(t, metrics); st != "0" {
		t.Fatalf("breaker state after isolated failures = %q, want 0 (closed)", st)
	}

	// Slow: five logins at once, each cut off by the client's timeout,
	// open the breaker.
	s.wx.setFaults(faults{LatencyMS: 5000})
	var wg sync.WaitGroup
	slow := make([]result, 5)
	for k := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slow[k] = n.login(s.wx, "acme", appID, fmt.Sprintf("slow-%d", k))
		}()
	}
	wg.Wait()
	for _, r := range slow {
		want("slow (5 s)", r, 502, "wechat_unavailable")
	}
	if st := breakerState(t, metrics); st != "2" {
		t.Fatalf("breaker state after five timeouts = %q, want 2 (open)", st)
	}

	// Open: fails fast, WeChat is not called at all, whatever its state.
	s.wx.setFaults(faults{})
	before := s.wx.calls()
	for range 3 {
		want("breaker open", login(), 502, "wechat_unavailable")
	}
	if after := s.wx.calls(); after != before {
		t.Fatalf("an open breaker let %d calls through to WeChat", after-before)
	}

	// After its open period the breaker lets one call try; it succeeds
	// and the breaker closes.
	start := time.Now()
	eventually(t, 30*time.Second, "breaker closes once WeChat is well", func() string {
		if r := login(); r.status != 200 {
			return r.String()
		}
		return ""
	})
	t.Logf("breaker closed again %dms after WeChat recovered", time.Since(start).Milliseconds())
	if st := breakerState(t, metrics); st != "0" {
		t.Fatalf("breaker state after recovery = %q, want 0 (closed)", st)
	}
}
