package wechattest_test

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"

	"miniauth/tenants/wechat/wechattest"
)

func TestPhoneSideEndpoints(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	if r := f.do(http.MethodPost, "/mock/user", `{"user":"u1","country_code":"86","phone":"13800138000","nickname":"小明"}`); r.status != 204 {
		t.Fatalf("/mock/user: %d %s", r.status, r.raw)
	}
	// wx.getUserInfo needs a session_key: the user must have logged in.
	if r := f.do(http.MethodPost, "/mock/wx.getUserInfo", `{"appid":"`+appA+`","user":"u1"}`); r.status != 400 {
		t.Fatalf("getUserInfo before login: %d", r.status)
	}
	key := f.login(appA, secretA, f.issue(appA, "u1")).str("session_key")
	r := f.do(http.MethodPost, "/mock/wx.getUserInfo", `{"appid":"`+appA+`","user":"u1"}`)
	sum := sha1.Sum([]byte(r.str("rawData") + key))
	if r.status != 200 || r.str("signature") != hex.EncodeToString(sum[:]) || r.str("encryptedData") == "" || len(r.str("iv")) != 24 {
		t.Fatalf("getUserInfo: %s", r.raw)
	}
	code := f.do(http.MethodPost, "/mock/getPhoneNumber", `{"appid":"`+appA+`","user":"u1"}`).str("code")
	tok := f.token()
	p := f.do(http.MethodPost, "/wxa/business/getuserphonenumber?access_token="+url.QueryEscape(tok), `{"code":"`+code+`"}`)
	if p.errcode() != 0 || p.body["phone_info"].(map[string]any)["purePhoneNumber"] != "13800138000" {
		t.Fatalf("phone: %s", p.raw)
	}
	// /mock/expire: the app's tokens, then the user's session_key.
	f.do(http.MethodPost, "/mock/expire", `{"appid":"`+appA+`"}`)
	code = f.do(http.MethodPost, "/mock/getPhoneNumber", `{"appid":"`+appA+`","user":"u1"}`).str("code")
	wantError(t, f.do(http.MethodPost, "/wxa/business/getuserphonenumber?access_token="+url.QueryEscape(tok), `{"code":"`+code+`"}`),
		40001, "invalid credential, access_token is invalid or not latest")
	f.do(http.MethodPost, "/mock/expire", `{"appid":"`+appA+`","user":"u1"}`)
	if f.fake.SessionKey(appA, "u1") != "" {
		t.Fatal("session_key survived /mock/expire")
	}
	for _, body := range []string{`{}`, `{"appid":"` + appA + `"}`, `not json`} {
		if r := f.do(http.MethodPost, "/mock/getPhoneNumber", body); r.status != 400 {
			t.Errorf("/mock/getPhoneNumber %s: %d", body, r.status)
		}
	}
	stats := f.do(http.MethodGet, "/mock/stats", "").body["calls"].(map[string]any)
	if stats["getuserphonenumber"] != float64(2) || stats["userinfo"] != float64(0) {
		t.Fatalf("stats %v", stats)
	}
}
