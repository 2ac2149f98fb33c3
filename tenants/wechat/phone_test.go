package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

func TestGetUserPhoneNumber(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	c := newClient(f.url)
	ctx := context.Background()
	tok, err := c.StableToken(ctx, appID, appSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	f.SetPerson("u1", "86", "13800138000", "", "")
	f.SetPerson("u2", "852", "51234567", "", "")
	phoneCode := func(appid, user string) string {
		code, err := f.IssuePhoneCode(appid, user)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	used := phoneCode(appID, "u1")
	if _, err := c.GetUserPhoneNumber(ctx, tok.Token, used, ""); err != nil {
		t.Fatal(err)
	}
	expired := phoneCode(appID, "u1")
	tests := []struct {
		name          string
		token, code   string
		openid        string
		before        func()
		wantCC, wantN string
		wantErr       int
	}{
		{name: "mainland number", token: tok.Token, code: phoneCode(appID, "u1"), wantCC: "86", wantN: "13800138000"},
		{name: "Hong Kong number", token: tok.Token, code: phoneCode(appID, "u2"), wantCC: "852", wantN: "51234567"},
		{name: "openid matches", token: tok.Token, code: phoneCode(appID, "u1"), openid: f.OpenID(appID, "u1"), wantCC: "86", wantN: "13800138000"},
		{name: "openid of another user", token: tok.Token, code: phoneCode(appID, "u1"), openid: f.OpenID(appID, "u2"), wantErr: 40029},
		{name: "used code", token: tok.Token, code: used, wantErr: 40029},
		{name: "unknown code", token: tok.Token, code: "deadbeef", wantErr: 40029},
		{name: "code of another app", token: tok.Token, code: phoneCode(loneAppID, "u1"), wantErr: 40013},
		{name: "no token", token: "", code: phoneCode(appID, "u1"), wantErr: 41001},
		{name: "unknown token", token: "96_nope", code: phoneCode(appID, "u1"), wantErr: 40001},
		{name: "system error (no retry: the code is single use)", token: tok.Token, code: phoneCode(appID, "u1"),
			before: func() { f.SetFaults(wechattest.Faults{SystemErrors: 1}) }, wantErr: -1},
		{name: "minute quota", token: tok.Token, code: phoneCode(appID, "u1"), before: func() {
			f.SetPhonePerMinute(1)
			_, _ = c.GetUserPhoneNumber(ctx, tok.Token, phoneCode(appID, "u1"), "")
		}, wantErr: 45011},
		// Last: it moves the clock past every code issued above.
		{name: "expired code", token: tok.Token, code: expired, before: func() { f.clockAdd(6 * time.Minute) }, wantErr: 40029},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer f.SetFaults(wechattest.Faults{})
			defer f.SetPhonePerMinute(0)
			if tt.before != nil {
				tt.before()
			}
			before := f.Calls("getuserphonenumber")
			p, err := c.GetUserPhoneNumber(ctx, tt.token, tt.code, tt.openid)
			if tt.wantErr != 0 {
				wantClean(t, err, tt.code, tt.token)
				if !wechat.IsCode(err, tt.wantErr) {
					t.Fatalf("err = %v, want errcode %d", err, tt.wantErr)
				}
				if n := f.Calls("getuserphonenumber") - before; n != 1 && tt.name != "minute quota" {
					t.Errorf("%d calls, want 1", n)
				}
				return
			}
			if err != nil || p.CountryCode != tt.wantCC || p.PurePhoneNumber != tt.wantN || p.Watermark.AppID != appID {
				t.Fatalf("got %+v, %v", p, err)
			}
		})
	}
}

func TestPhoneCountryCodeStringOrNumber(t *testing.T) {
	for _, cc := range []string{`86`, `"86"`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":` + cc + `,"watermark":{"timestamp":1,"appid":"wxa"}}}`))
		}))
		p, err := newClient(srv.URL).GetUserPhoneNumber(context.Background(), "tok", "code", "")
		srv.Close()
		if err != nil || p.CountryCode != "86" {
			t.Errorf("countryCode %s: got %+v, %v", cc, p, err)
		}
	}
}

func TestCheckSession(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	c := newClient(f.url)
	ctx := context.Background()
	tok, _ := c.StableToken(ctx, appID, appSecret, false)
	s1, err := c.Code2Session(ctx, appID, appSecret, f.code(t, appID, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		openid  string
		key     string
		before  func()
		want    bool
		wantErr int
	}{
		{name: "current key", token: tok.Token, openid: s1.OpenID, key: s1.SessionKey, want: true},
		{name: "wrong key", token: tok.Token, openid: s1.OpenID, key: "ZmZmZmZmZmZmZmZmZmZmZg==", want: false},
		{name: "unknown openid", token: tok.Token, openid: "o-nobody", key: s1.SessionKey, want: false},
		{name: "no token", token: "", openid: s1.OpenID, key: s1.SessionKey, wantErr: 41001},
		{name: "unknown token", token: "96_nope", openid: s1.OpenID, key: s1.SessionKey, wantErr: 40001},
		{name: "key replaced by a new login", token: tok.Token, openid: s1.OpenID, key: s1.SessionKey, want: false, before: func() {
			if _, err := c.Code2Session(ctx, appID, appSecret, f.code(t, appID, "u1")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "key expired", token: tok.Token, openid: s1.OpenID, key: f.SessionKey(appID, "u1"), want: false,
			before: func() { f.ExpireSessionKey(appID, "u1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			valid, err := c.CheckSession(ctx, tt.token, tt.openid, tt.key)
			if tt.wantErr != 0 {
				wantClean(t, err, tt.key, tt.token)
				if !wechat.IsCode(err, tt.wantErr) {
					t.Fatalf("err = %v, want %d", err, tt.wantErr)
				}
				return
			}
			if err != nil || valid != tt.want {
				t.Fatalf("valid = %v, %v; want %v", valid, err, tt.want)
			}
		})
	}
}
