package sms_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/sms"
	"miniauth/tenants/tenantstest"
)

// clock is a fake clock the nodes share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeProvider records what it was asked to send and fails on demand.
type fakeProvider struct {
	mu   sync.Mutex
	sent map[string][]string // phone → codes
	fail []error
}

func (p *fakeProvider) Send(_ context.Context, phone string, params []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.fail) > 0 {
		err := p.fail[0]
		p.fail = p.fail[1:]
		return err
	}
	if p.sent == nil {
		p.sent = make(map[string][]string)
	}
	p.sent[phone] = append(p.sent[phone], params[0])
	return nil
}

func (p *fakeProvider) last(phone string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	codes := p.sent[phone]
	if len(codes) == 0 {
		return ""
	}
	return codes[len(codes)-1]
}

type settingsFunc func(ctx context.Context, tenantID int64) (*sms.Settings, error)

func (f settingsFunc) Load(ctx context.Context, tenantID int64) (*sms.Settings, error) {
	return f(ctx, tenantID)
}

// cluster is n Senders ("nodes") over one Redis, one fake clock and one
// fake provider, serving tenants whose settings are in limits.
type cluster struct {
	nodes    []*sms.Sender
	clock    *clock
	provider *fakeProvider
}

func newCluster(t *testing.T, n int, limits map[int64]sms.Limits) *cluster {
	t.Helper()
	rdb, prefix := tenantstest.Redis(t)
	key := tenantstest.Keyring(t).DeriveKey("sms-code")
	c := &cluster{clock: &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}, provider: &fakeProvider{}}
	load := settingsFunc(func(_ context.Context, id int64) (*sms.Settings, error) {
		l, ok := limits[id]
		if !ok {
			return nil, sms.ErrNotFound
		}
		return &sms.Settings{Provider: sms.Tencent, Limits: l, AllowedPrefixes: []string{"+86", "+852"}}, nil
	})
	for range n {
		c.nodes = append(c.nodes, sms.NewSender(sms.SenderConfig{Settings: load,
			Codes: sms.NewCodes(rdb, prefix, key), Budgets: sms.NewBudgets(rdb, prefix, c.clock.now),
			NewProvider: func(*sms.Settings) (sms.Provider, error) { return c.provider, nil }}))
	}
	return c
}

func (c *cluster) node(i int) *sms.Sender { return c.nodes[i%len(c.nodes)] }

func limitOf(t *testing.T, err error) *sms.LimitError {
	t.Helper()
	var le *sms.LimitError
	if !errors.As(err, &le) || !errors.Is(err, sms.ErrRateLimited) {
		t.Fatalf("got %v, want a *LimitError", err)
	}
	return le
}

// Per phone, 1 a minute, 5 an hour, 10 a day, across two nodes: a try
// every minute for a day, alternating nodes, gets exactly the sends the
// windows allow.
func TestPhoneBudgetAcrossNodes(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, map[int64]sms.Limits{1: {}})
	var allowed []int
	for minute := range 24 * 60 {
		exp, resend, err := c.node(minute).Send(ctx, 1, "+8613800138000", sms.PurposeLogin, "10.0.0.1")
		switch {
		case err == nil:
			allowed = append(allowed, minute)
			if exp != sms.CodeTTL || resend < time.Minute {
				t.Fatalf("minute %d: expires in %s, resend after %s", minute, exp, resend)
			}
		default:
			le := limitOf(t, err)
			if le.Budget != sms.BudgetPhone || le.RetryAfter <= 0 {
				t.Fatalf("minute %d: %+v", minute, le)
			}
		}
		c.clock.advance(time.Minute)
	}
	want := []int{0, 1, 2, 3, 4, 60, 61, 62, 63, 64}
	if len(allowed) != len(want) {
		t.Fatalf("sends allowed at minutes %v, want %v", allowed, want)
	}
	for i := range want {
		if allowed[i] != want[i] {
			t.Fatalf("sends allowed at minutes %v, want %v", allowed, want)
		}
	}
	// Exact retry-after: at minute 1440 the first send (minute 0) leaves
	// the day window just now.
	if _, _, err := c.node(0).Send(ctx, 1, "+8613800138000", sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatalf("a day after the first send: %v", err)
	}
	_, _, err := c.node(1).Send(ctx, 1, "+8613800138000", sms.PurposeLogin, "10.0.0.1")
	if le := limitOf(t, err); le.RetryAfter != time.Minute {
		t.Fatalf("retry after %s, want 1m", le.RetryAfter)
	}
	// The resend_after of the first send of another phone is the minute.
	if _, resend, err := c.node(1).Send(ctx, 1, "+8613900139000", sms.PurposeLogin, "10.0.0.1"); err != nil || resend != time.Minute {
		t.Fatalf("another phone: resend after %s, %v", resend, err)
	}
}

func TestAddressBudgetAcrossNodes(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, map[int64]sms.Limits{1: {AddressPerHour: 3}})
	phones := []string{"+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"}
	// IPv6 addresses of one /64 are one address.
	ips := []string{"2001:db8:1:2::1", "2001:db8:1:2::ff", "2001:db8:1:2:abcd::9", "2001:db8:1:2::5"}
	for i, phone := range phones {
		_, _, err := c.node(i).Send(ctx, 1, phone, sms.PurposeLogin, ips[i])
		if i < 3 && err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == 3 {
			if le := limitOf(t, err); le.Budget != sms.BudgetAddress || le.RetryAfter != time.Hour {
				t.Fatalf("the fourth from one /64: %+v", le)
			}
		}
	}
	if _, _, err := c.node(0).Send(ctx, 1, phones[3], sms.PurposeLogin, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func TestTenantDailyCap(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, map[int64]sms.Limits{1: {TenantPerDay: 3}, 2: {TenantPerDay: 3}})
	// 08:00 UTC is 16:00 in China: the day ends in 8 hours.
	for i := range 4 {
		_, _, err := c.node(i).Send(ctx, 1, fmt.Sprintf("+86138000000%d", 10+i), sms.PurposeLogin, fmt.Sprintf("10.0.1.%d", 1+i))
		if i < 3 && err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == 3 {
			le := limitOf(t, err)
			if !errors.Is(err, sms.ErrDailyCap) || le.Budget != sms.BudgetTenant || le.RetryAfter != 8*time.Hour {
				t.Fatalf("over the cap: %v %+v", err, le)
			}
		}
	}
	if _, _, err := c.node(0).Send(ctx, 2, "+8613800000010", sms.PurposeLogin, "10.0.1.1"); err != nil {
		t.Fatalf("another tenant's cap: %v", err)
	}
	// A refusal by the cap spent no phone budget: the next day the phone
	// that was refused is sent a code at once.
	c.clock.advance(8 * time.Hour)
	if _, _, err := c.node(1).Send(ctx, 1, "+8613800000013", sms.PurposeLogin, "10.0.1.4"); err != nil {
		t.Fatalf("the next day: %v", err)
	}
}

func TestProviderFailureReleases(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, map[int64]sms.Limits{1: {TenantPerDay: 2, AddressPerHour: 3}})
	const phone = "+8613800138000"
	if _, _, err := c.node(0).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	first := c.provider.last(phone)
	c.clock.advance(time.Minute)
	c.provider.fail = []error{&sms.ProviderError{Code: "InternalError.Timeout", Kind: sms.ErrUnavailable}}
	if _, _, err := c.node(1).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.1"); !errors.Is(err, sms.ErrUnavailable) {
		t.Fatalf("a failing provider: %v", err)
	}
	// The phone's and the tenant's budgets came back: a retry at once
	// works (the cap is 2 and one was spent).
	if _, _, err := c.node(0).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatalf("retry after a provider failure: %v", err)
	}
	// The address's did not: three tries from 10.0.0.1 in the hour.
	_, _, err := c.node(1).Send(ctx, 1, "+8613900139000", sms.PurposeLogin, "10.0.0.1")
	if le := limitOf(t, err); le.Budget != sms.BudgetAddress {
		t.Fatalf("the address after a failure: %+v", le)
	}
	// The retry's code is the one in flight.
	second := c.provider.last(phone)
	if first == second {
		t.Skip("the two codes happen to be equal")
	}
	if _, err := c.node(1).Verify(ctx, 1, phone, sms.PurposeLogin, first); !errors.Is(err, sms.ErrInvalidCode) {
		t.Fatalf("the replaced code: %v", err)
	}
	if got, err := c.node(0).Verify(ctx, 1, "138 0013 8000", sms.PurposeLogin, second); err != nil || got != phone {
		t.Fatalf("the code sent: %q %v", got, err)
	}
}

func TestProviderLimitKeepsPhoneBudget(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2, map[int64]sms.Limits{1: {}})
	const phone = "+8613800138000"
	if _, _, err := c.node(0).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	code := c.provider.last(phone)
	c.clock.advance(time.Minute)
	c.provider.fail = []error{&sms.ProviderError{Code: "LimitExceeded.PhoneNumberDailyLimit", Kind: sms.ErrProviderLimit}}
	_, _, err := c.node(1).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.2")
	if le := limitOf(t, err); le.Budget != sms.BudgetProvider || !errors.Is(err, sms.ErrProviderLimit) || le.RetryAfter < time.Minute {
		t.Fatalf("the provider's limit: %v", err)
	}
	// The phone's minute was kept spent.
	_, _, err = c.node(0).Send(ctx, 1, phone, sms.PurposeLogin, "10.0.0.3")
	if le := limitOf(t, err); le.Budget != sms.BudgetPhone {
		t.Fatalf("after the provider's limit: %+v", le)
	}
	// The code the user already had still works (the failed send's was withdrawn).
	if _, err := c.node(1).Verify(ctx, 1, phone, sms.PurposeLogin, code); err != nil {
		t.Fatalf("the code sent before: %v", err)
	}
}

func TestSendRefusals(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, map[int64]sms.Limits{1: {}})
	cases := []struct {
		tenant        int64
		phone, purpos string
		want          error
	}{
		{1, "12345", sms.PurposeLogin, sms.ErrInvalidPhone},
		{1, "+14155550100", sms.PurposeLogin, sms.ErrInvalidPhone}, // not an allowed prefix
		{1, "+8613800138000", "reset", sms.ErrInvalidPurpose},
		{9, "+8613800138000", sms.PurposeLogin, sms.ErrNotFound},
	}
	for _, tc := range cases {
		if _, _, err := c.node(0).Send(ctx, tc.tenant, tc.phone, tc.purpos, "10.0.0.1"); !errors.Is(err, tc.want) {
			t.Errorf("%+v: got %v", tc, err)
		}
	}
	if _, _, err := c.node(0).Send(ctx, 1, "+85291234567", sms.PurposeBind, "10.0.0.1"); err != nil {
		t.Fatalf("an allowed prefix: %v", err)
	}
}

// A tenant's provider is built once while its settings stay the same.
func TestProviderBuiltOnce(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	var mu sync.Mutex
	built := 0
	st := sms.Settings{Provider: sms.Tencent, Secret: "one"}
	sender := sms.NewSender(sms.SenderConfig{
		Settings: settingsFunc(func(context.Context, int64) (*sms.Settings, error) {
			mu.Lock()
			defer mu.Unlock()
			cp := st
			return &cp, nil
		}),
		Codes: sms.NewCodes(rdb, prefix, []byte("k")), Budgets: sms.NewBudgets(rdb, prefix, nil),
		NewProvider: func(*sms.Settings) (sms.Provider, error) {
			mu.Lock()
			defer mu.Unlock()
			built++
			return &fakeProvider{}, nil
		}})
	for i := range 3 {
		if _, _, err := sender.Send(ctx, 1, fmt.Sprintf("+861380013800%d", i), sms.PurposeLogin, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	st.Secret = "rotated"
	mu.Unlock()
	if _, _, err := sender.Send(ctx, 1, "+8613800138009", sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if built != 2 {
		t.Fatalf("built %d providers, want 2 (one, then one after the secret changed)", built)
	}
}
