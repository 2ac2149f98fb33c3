package guard_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"miniauth/tenants/tenantstest"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/guard"
	"miniauth/tenants/wechat/wechattest"
)

const appid, secret = "wxguard000001", "guard-secret-0123456789"

func setup(t *testing.T, cfg guard.Config) (*guard.Guard, *wechattest.Server, *prometheus.Registry) {
	t.Helper()
	wx := wechattest.New(wechattest.Options{UserPerMinute: -1})
	wx.AddApp(appid, secret, "")
	srv := httptest.NewServer(wx.Handler())
	t.Cleanup(srv.Close)
	rdb, prefix := tenantstest.Redis(t)
	cfg.KeyPrefix = prefix
	reg := prometheus.NewRegistry()
	client := wechat.New(wechat.Config{BaseURL: srv.URL, AttemptTimeout: 2 * time.Second,
		TotalTimeout: 4 * time.Second, RetryDelay: time.Millisecond, Observe: guard.CallMetrics(reg)})
	return guard.New(client, rdb, cfg, reg), wx, reg
}

func TestIdenticalCodesReachWeChatOnce(t *testing.T) {
	g, wx, _ := setup(t, guard.Config{})
	code, _ := wx.IssueCode(appid, "alice")
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = g.Code2Session(context.Background(), appid, secret, code)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !wechat.IsCode(err, 40163):
			t.Fatalf("duplicate got %v, want errcode 40163", err)
		}
	}
	if ok != 1 || wx.Calls("jscode2session") != 1 {
		t.Fatalf("%d successes and %d WeChat calls, want 1 and 1", ok, wx.Calls("jscode2session"))
	}
	// Later, too, an accepted code never goes to WeChat again.
	if _, err := g.Code2Session(context.Background(), appid, secret, code); !wechat.IsCode(err, 40163) || wx.Calls("jscode2session") != 1 {
		t.Fatalf("replay: %v, %d calls", err, wx.Calls("jscode2session"))
	}
}

func TestTransientFailureReleasesTheCode(t *testing.T) {
	g, wx, _ := setup(t, guard.Config{})
	code, _ := wx.IssueCode(appid, "bob")
	wx.SetFaults(wechattest.Faults{SystemErrors: 2})
	if _, err := g.Code2Session(context.Background(), appid, secret, code); !errors.Is(err, wechat.ErrUnavailable) {
		t.Fatalf("with WeChat busy: %v", err)
	}
	if s, err := g.Code2Session(context.Background(), appid, secret, code); err != nil || s.OpenID != wx.OpenID(appid, "bob") {
		t.Fatalf("retry of the same code after a -1: %v", err)
	}
}

func TestBreakerOpensAndRecovers(t *testing.T) {
	g, wx, reg := setup(t, guard.Config{Failures: 3, OpenFor: 2 * time.Second})
	wx.SetFaults(wechattest.Faults{Garbage: true})
	for i := range 3 {
		code, _ := wx.IssueCode(appid, "carol")
		if _, err := g.Code2Session(context.Background(), appid, secret, code); !errors.Is(err, wechat.ErrUnavailable) || errors.Is(err, guard.ErrOpen) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if g.State(appid) != gobreaker.StateOpen {
		t.Fatalf("breaker %v after 3 failures", g.State(appid))
	}
	if v := series(t, reg, "miniauth_wechat_breaker_state")[0]; v != 2 {
		t.Fatalf("breaker gauge = %v, want 2 (open)", v)
	}
	calls := wx.Calls("jscode2session")
	code, _ := wx.IssueCode(appid, "carol")
	if _, err := g.Code2Session(context.Background(), appid, secret, code); !errors.Is(err, guard.ErrOpen) {
		t.Fatalf("open breaker: %v", err)
	}
	if wx.Calls("jscode2session") != calls {
		t.Fatal("an open breaker still called WeChat")
	}
	// Invalid codes are WeChat working: they must not trip the breaker.
	wx.SetFaults(wechattest.Faults{})
	deadline := time.Now().Add(20 * time.Second)
	for g.State(appid) == gobreaker.StateOpen && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := g.Code2Session(context.Background(), appid, secret, code); err != nil {
		t.Fatalf("half-open trial with WeChat healthy: %v", err)
	}
	if g.State(appid) != gobreaker.StateClosed {
		t.Fatalf("breaker %v after a good trial", g.State(appid))
	}
	for range 5 {
		if _, err := g.Code2Session(context.Background(), appid, secret, "0123456789abcdefABCDEF0123456789"); !wechat.IsCode(err, 40029, 40163) {
			t.Fatalf("bad code: %v", err)
		}
	}
	if g.State(appid) != gobreaker.StateClosed {
		t.Fatal("invalid codes tripped the breaker")
	}
	if n := len(series(t, reg, "miniauth_wechat_calls_total")); n < 2 {
		t.Fatalf("WeChat call metrics have %d series", n)
	}
}

// series returns the values of a metric's series (gauges and counters).
func series(t *testing.T, reg *prometheus.Registry, name string) []float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if g := m.GetGauge(); g != nil {
				out = append(out, g.GetValue())
			} else {
				out = append(out, m.GetCounter().GetValue())
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no series of %s", name)
	}
	return out
}

// replaySetNX applies every SET to Redis twice and answers the second, as
// a client does that sends a command again after a timeout although Redis
// had applied the first (Redis stalled, then resumed).
type replaySetNX struct{}

func (replaySetNX) DialHook(next redis.DialHook) redis.DialHook { return next }
func (replaySetNX) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (replaySetNX) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "set" {
			if err := next(ctx, cmd); err != nil {
				return err
			}
		}
		return next(ctx, cmd)
	}
}

// A claim whose SET NX was sent twice (the first applied) is still this
// call's claim: the login goes on instead of being refused as a used code.
func TestClaimSurvivesARetriedSetNX(t *testing.T) {
	wx := wechattest.New(wechattest.Options{UserPerMinute: -1})
	wx.AddApp(appid, secret, "")
	srv := httptest.NewServer(wx.Handler())
	t.Cleanup(srv.Close)
	_, prefix := tenantstest.Redis(t)
	opt, err := redis.ParseURL(tenantstest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(replaySetNX{})
	client := wechat.New(wechat.Config{BaseURL: srv.URL, AttemptTimeout: 2 * time.Second, TotalTimeout: 4 * time.Second})
	g := guard.New(client, rdb, guard.Config{KeyPrefix: prefix}, nil)
	code, _ := wx.IssueCode(appid, "dora")
	if s, err := g.Code2Session(context.Background(), appid, secret, code); err != nil || s.OpenID != wx.OpenID(appid, "dora") {
		t.Fatalf("a login whose claim was sent twice: %v", err)
	}
	// Another call with the same code is still refused.
	if _, err := g.Code2Session(context.Background(), appid, secret, code); !wechat.IsCode(err, 40163) {
		t.Fatalf("the same code again: %v", err)
	}
}
