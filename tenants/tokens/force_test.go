package tokens_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
	"miniauth/tenants/tokens"
)

// stable_token: force_refresh kills the token for every holder and
// is allowed 20 times a day, 30 s apart. A token WeChat refused but still
// hands out is forced once; then the limits hold for all nodes together.
func TestForcedRefreshesAreLimited(t *testing.T) {
	caches, fake, _, clk := cluster(t, 2, tokens.Config{ForcePerDay: 3})
	ctx := context.Background()
	cur, err := caches[0].Get(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	var limited *tokens.ForceLimitedError
	steps := []struct {
		name    string
		node    int
		advance time.Duration
		daily   *bool // nil: a forced refresh happens
	}{
		{"first force", 0, 0, nil},
		{"again at once, other node", 1, 0, new(false)},
		{"29 s later", 0, 29 * time.Second, new(false)},
		{"30 s after the first", 1, time.Second, nil},
		{"third of the day", 0, 30 * time.Second, nil},
		{"budget spent", 1, 30 * time.Second, new(true)},
		{"next day in Beijing", 0, 16 * time.Hour, nil},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		if cur, err = caches[st.node].Get(ctx, target); err != nil { // a new one once the day-old token expired
			t.Fatal(err)
		}
		tok, err := caches[st.node].Renew(ctx, target, cur.Value)
		switch {
		case st.daily == nil && (err != nil || !tok.Forced || tok.Value == cur.Value):
			t.Fatalf("%s: %v forced=%v new=%v, want a forced refresh", st.name, err, tok.Forced, tok.Value != cur.Value)
		case st.daily != nil && (!errors.As(err, &limited) || limited.Daily != *st.daily || limited.RetryAfter <= 0):
			t.Fatalf("%s: err %v, want ForceLimitedError daily=%v", st.name, err, *st.daily)
		}
		if err == nil {
			cur = tok
		}
	}
	if got := fake.Calls("stable_token"); got != 1+4*2+3+1 {
		t.Errorf("%d stable_token calls, want 13 (a fetch; normal + forced for 4 forces; normal only for 3 refused; a fetch the next day)", got)
	}
	if n, err := caches[1].ForcesToday(ctx, target); err != nil || n != 1 {
		t.Errorf("ForcesToday = %d, %v; want 1", n, err)
	}
}

// The token a presented stale token does not match is answered without
// any force.
func TestRenewOfAnOldTokenDoesNotForce(t *testing.T) {
	caches, fake, _, _ := cluster(t, 1, tokens.Config{})
	ctx := context.Background()
	cur, _ := caches[0].Get(ctx, target)
	tok, err := caches[0].Renew(ctx, target, "96_an-older-token")
	if err != nil || tok.Value != cur.Value || tok.Forced || fake.Calls("stable_token") != 1 {
		t.Fatalf("Renew(old): %v, same=%v forced=%v calls=%d", err, tok.Value == cur.Value, tok.Forced, fake.Calls("stable_token"))
	}
}

// Access tokens are sealed in Redis like session keys; an unsealed value
// left by an older version, or one copied from another app, is a miss.
func TestTokensAreSealedAtRest(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	_, fake, wx, clk := cluster(t, 1, tokens.Config{})
	c := tokens.New(rdb, prefix, wx, tokens.Config{Keys: tenantstest.Keyring(t), Now: clk.Now})
	ctx := context.Background()
	tok, err := c.Get(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	key := prefix + ":t:7:wx:token:" + appID
	raw, err := rdb.Get(ctx, key).Result()
	if err != nil || strings.Contains(raw, tok.Value) || strings.Contains(raw, url.QueryEscape(tok.Value)) {
		t.Fatalf("stored %q (%v): the token is in clear", raw, err)
	}

	other := target
	other.AppID = "wxtok000000002"
	fake.AddApp(other.AppID, secret, "")
	rdb.Set(ctx, prefix+":t:7:wx:token:"+other.AppID, raw, time.Hour) // another app's record
	if got, err := c.Get(ctx, other); err != nil || got.Value == tok.Value {
		t.Fatalf("a record copied from another app opened: %v", err)
	}

	rdb.Set(ctx, key, "9999999999999|9999999999999|96_unsealed", time.Hour) // as earlier versions stored it
	before := fake.Calls("stable_token")
	got, err := c.Get(ctx, target)
	if err != nil || got.Value == "96_unsealed" || fake.Calls("stable_token") != before+1 {
		t.Fatalf("unsealed record: %q, %v; want a miss and a fetch", got.Value, err)
	}
}
