package tokens_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
	"miniauth/tenants/tokens"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

const appID, secret = "wxtok000000001", "token-test-secret-000001"

// nodes are several miniauth nodes sharing one Redis namespace and one
// (simulated) WeChat.
func nodes(t *testing.T, n int) ([]*tokens.Cache, *wechattest.Server, *wechat.Client) {
	t.Helper()
	caches, fake, wx, _ := cluster(t, n, tokens.Config{})
	return caches, fake, wx
}

// cluster is nodes with cfg (its keyring and clock filled in when unset);
// WeChat and the nodes share the returned clock.
func cluster(t *testing.T, n int, cfg tokens.Config) ([]*tokens.Cache, *wechattest.Server, *wechat.Client, *clock) {
	t.Helper()
	rdb, prefix := tenantstest.Redis(t)
	clk := &clock{now: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)}
	fake := wechattest.New(wechattest.Options{Now: clk.Now})
	fake.AddApp(appID, secret, "")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	wx := wechat.New(wechat.Config{BaseURL: srv.URL, AttemptTimeout: time.Second, TotalTimeout: 2 * time.Second})
	if cfg.Keys == nil {
		cfg.Keys = tenantstest.Keyring(t)
	}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	out := make([]*tokens.Cache, n)
	for i := range out {
		out[i] = tokens.New(rdb, prefix, wx, cfg)
	}
	return out, fake, wx, clk
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var target = tokens.Target{TenantID: 7, AppID: appID, Secret: func() (string, error) { return secret, nil }}

func TestNodesShareOneToken(t *testing.T) {
	caches, fake, _ := nodes(t, 2)
	ctx := context.Background()
	a, err := caches[0].Get(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := caches[1].Get(ctx, target)
	if err != nil || b.Value != a.Value {
		t.Fatalf("second node got %v, %v; want the first node's token", b.Value != a.Value, err)
	}
	if calls := fake.Calls("stable_token"); calls != 1 {
		t.Fatalf("%d stable_token calls for two nodes, want 1", calls)
	}
}

func TestConcurrentRefreshesCallWeChatOnce(t *testing.T) {
	caches, fake, _ := nodes(t, 3)
	const callers = 60
	var wg sync.WaitGroup
	got := make([]string, callers)
	errs := make([]error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok, err := caches[i%len(caches)].Get(context.Background(), target)
			got[i], errs[i] = tok.Value, err
		}(i)
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("caller %d: err %v, same token %v", i, errs[i], got[i] == got[0])
		}
	}
	if calls := fake.Calls("stable_token"); calls != 1 {
		t.Fatalf("%d stable_token calls for %d concurrent callers on 3 nodes, want 1", calls, callers)
	}
}

func TestDoRenewsOnceAfterInvalidToken(t *testing.T) {
	caches, fake, wx := nodes(t, 2)
	ctx := context.Background()
	first, err := caches[0].Get(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	fake.InvalidateTokens(appID) // someone force-refreshed: WeChat answers 40001 now

	tests := []struct {
		name      string
		node      *tokens.Cache
		wantCalls int // fn calls
		wantErr   int
	}{
		{"first node renews and retries once", caches[0], 2, 0},
		{"second node uses the renewed token", caches[1], 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := tt.node.Do(ctx, target, func(tok string) error {
				calls++
				_, err := wx.CheckSession(ctx, tok, "o-nobody", "a2V5a2V5a2V5a2V5a2V5a2V5") // any token-checked API
				return err
			})
			if err != nil || calls != tt.wantCalls {
				t.Fatalf("Do: err %v after %d calls, want success after %d", err, calls, tt.wantCalls)
			}
		})
	}
	now, _ := caches[1].Get(ctx, target)
	if now.Value == first.Value {
		t.Fatal("the refused token is still cached")
	}
	if calls := fake.Calls("stable_token"); calls != 2 {
		t.Fatalf("%d stable_token calls, want 2 (first fetch, one renewal)", calls)
	}
}

// WeChat's renewal rule: {40001, 40014, 42001} mean the basic
// token is bad; renew once and retry once, never loop.
func TestDoGivesUpAfterOneRetry(t *testing.T) {
	for _, code := range []int{40001, 40014, 42001} {
		caches, _, _ := nodes(t, 1)
		calls := 0
		err := caches[0].Do(context.Background(), target, func(string) error {
			calls++
			return &wechat.APIError{API: "x", Code: code}
		})
		if !wechat.IsCode(err, code) || calls != 2 {
			t.Fatalf("%d: err %v after %d calls, want %d after 2", code, err, calls, code)
		}
	}
}

func TestWeChatRefusesTheApp(t *testing.T) {
	caches, _, _ := nodes(t, 1)
	bad := target
	bad.Secret = func() (string, error) { return "wrong-secret-0000000000", nil }
	if _, err := caches[0].Get(context.Background(), bad); !wechat.IsCode(err, 40125) {
		t.Fatalf("err = %v, want 40125", err)
	}
}
