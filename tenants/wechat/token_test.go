package wechat_test

import (
	"context"
	"errors"
	"testing"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

func TestStableToken(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	c := newClient(f.url)
	ctx := context.Background()
	first, err := c.StableToken(ctx, appID, appSecret, false)
	if err != nil || first.Token == "" || first.ExpiresIn != 7200 {
		t.Fatalf("got %+v, %v", first, err)
	}
	same, err := c.StableToken(ctx, appID, appSecret, false)
	if err != nil || same.Token != first.Token {
		t.Errorf("normal mode: got %+v, %v; want the same token", same, err)
	}
	forced, err := c.StableToken(ctx, appID, appSecret, true)
	if err != nil || forced.Token == first.Token {
		t.Errorf("force refresh: got %+v, %v; want a new token", forced, err)
	}
}

func TestStableTokenErrors(t *testing.T) {
	tests := []struct {
		name   string
		appid  string
		secret string
		faults wechattest.Faults
		want   int
		calls  int
	}{
		{"wrong secret", appID, loneAppSecret, wechattest.Faults{}, 40125, 1},
		{"unknown appid", "wx9999999999999999", appSecret, wechattest.Faults{}, 40013, 1},
		{"system error twice", appID, appSecret, wechattest.Faults{SystemErrors: 2}, -1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, wechattest.Options{})
			f.SetFaults(tt.faults)
			_, err := newClient(f.url).StableToken(context.Background(), tt.appid, tt.secret, false)
			wantClean(t, err)
			var apiErr *wechat.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.want || apiErr.API != "stable_token" {
				t.Errorf("err = %v, want stable_token APIError %d", err, tt.want)
			}
			if got := f.Calls("stable_token"); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
		})
	}
}

func TestStableTokenRetriesSystemErrorOnce(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	f.SetFaults(wechattest.Faults{SystemErrors: 1})
	tok, err := newClient(f.url).StableToken(context.Background(), appID, appSecret, false)
	if err != nil || tok.Token == "" {
		t.Fatalf("got %+v, %v", tok, err)
	}
	if got := f.Calls("stable_token"); got != 2 {
		t.Errorf("%d calls, want 2", got)
	}
}
