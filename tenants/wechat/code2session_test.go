package wechat_test

import (
	"context"
	"errors"
	"testing"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

func TestCode2Session(t *testing.T) {
	tests := []struct {
		name        string
		appid       string
		secret      string
		errcodeZero bool
		wantUnion   bool
	}{
		{"bound app, errcode absent", appID, appSecret, false, true},
		{"bound app, errcode 0 present", appID, appSecret, true, true},
		{"unbound app", loneAppID, loneAppSecret, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, wechattest.Options{})
			f.SetFaults(wechattest.Faults{ErrcodeZero: tt.errcodeZero})
			// The fake answers text/plain, as WeChat does for sns/*.
			s, err := newClient(f.url).Code2Session(context.Background(), tt.appid, tt.secret, f.code(t, tt.appid, "u1"))
			if err != nil {
				t.Fatal(err)
			}
			if s.OpenID != f.OpenID(tt.appid, "u1") || s.SessionKey != f.SessionKey(tt.appid, "u1") {
				t.Errorf("got %+v, want the fake's openid and session_key", s)
			}
			want := ""
			if tt.wantUnion {
				want = f.UnionID(openPlatform, "u1")
			}
			if s.UnionID != want {
				t.Errorf("unionid = %q, want %q", s.UnionID, want)
			}
		})
	}
}

func TestCode2SessionAPIErrors(t *testing.T) {
	f := newFake(t, wechattest.Options{UserPerMinute: 1})
	c := newClient(f.url)
	used := f.code(t, appID, "used")
	if _, err := c.Code2Session(context.Background(), appID, appSecret, used); err != nil {
		t.Fatal(err)
	}
	limited := f.code(t, appID, "used") // the user already spent its one call this minute
	tests := []struct {
		name                string
		appid, secret, code string
		want                int
	}{
		{"appid missing", "", appSecret, f.code(t, appID, "a"), 41002},
		{"unknown appid", "wx9999999999999999", appSecret, f.code(t, appID, "b"), 40013},
		{"secret missing", appID, "", f.code(t, appID, "c"), 41004},
		{"wrong secret", appID, loneAppSecret, f.code(t, appID, "d"), 40125},
		{"code missing", appID, appSecret, "", 41008},
		{"invalid code", appID, appSecret, "CODE0000000000000000000000000000", 40029},
		{"code of another app", appID, appSecret, f.code(t, loneAppID, "e"), 40029},
		{"code used", appID, appSecret, used, 40163},
		{"minute quota", appID, appSecret, limited, 45011},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.Calls("jscode2session")
			_, err := c.Code2Session(context.Background(), tt.appid, tt.secret, tt.code)
			wantClean(t, err, tt.code)
			var apiErr *wechat.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.want || apiErr.API != "jscode2session" {
				t.Fatalf("err = %v, want APIError %d", err, tt.want)
			}
			if !wechat.IsCode(err, tt.want) || errors.Is(err, wechat.ErrUnavailable) {
				t.Errorf("IsCode or errors.Is(ErrUnavailable) misjudge %v", err)
			}
			if calls := f.Calls("jscode2session") - before; calls != 1 {
				t.Errorf("%d calls, want 1 (no retry)", calls)
			}
		})
	}
}

func TestCode2SessionRetriesSystemErrorOnce(t *testing.T) {
	tests := []struct {
		name         string
		systemErrors int
		wantCode     int // 0: success
	}{
		{"one -1, then success", 1, 0},
		{"two -1", 2, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, wechattest.Options{})
			f.SetFaults(wechattest.Faults{SystemErrors: tt.systemErrors})
			code := f.code(t, appID, "retry")
			s, err := newClient(f.url).Code2Session(context.Background(), appID, appSecret, code)
			if got := f.Calls("jscode2session"); got != 2 {
				t.Errorf("%d calls, want 2", got)
			}
			if tt.wantCode == 0 {
				if err != nil || s.OpenID == "" {
					t.Fatalf("got %+v, %v; want a session", s, err)
				}
				return
			}
			wantClean(t, err, code)
			if !wechat.IsCode(err, tt.wantCode) || !errors.Is(err, wechat.ErrUnavailable) {
				t.Errorf("err = %v, want APIError -1 that counts as unavailable", err)
			}
		})
	}
}
