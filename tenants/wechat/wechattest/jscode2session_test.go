package wechattest_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

func TestJSCode2SessionErrors(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	valid := func() url.Values {
		return url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {f.issue(appA, "alice")}, "grant_type": {"authorization_code"}}
	}
	tests := []struct {
		name   string
		change func(url.Values)
		code   int
		msg    string
	}{
		{"appid missing", func(q url.Values) { q.Del("appid") }, 41002, "appid missing"},
		{"unknown appid", func(q url.Values) { q.Set("appid", "wx0000000000000000") }, 40013, "invalid appid"},
		{"unknown appid wins over missing code", func(q url.Values) { q.Set("appid", "wxnope"); q.Del("js_code") }, 40013, "invalid appid"},
		{"secret missing", func(q url.Values) { q.Del("secret") }, 41004, "appsecret missing"},
		{"wrong secret", func(q url.Values) { q.Set("secret", secretB) }, 40125, "invalid appsecret"},
		{"code missing", func(q url.Values) { q.Del("js_code") }, 41008, "missing code"},
		{"grant_type missing", func(q url.Values) { q.Del("grant_type") }, 40002, "invalid grant_type"},
		{"grant_type wrong", func(q url.Values) { q.Set("grant_type", "client_credential") }, 40002, "invalid grant_type"},
		{"unknown code", func(q url.Values) { q.Set("js_code", "0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p") }, 40029, "invalid code"},
		{"malformed code", func(q url.Values) { q.Set("js_code", "not a code!") }, 40029, "invalid code"},
		{"code of another app", func(q url.Values) { q.Set("js_code", f.issue(appB, "alice")) }, 40029, "invalid code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := valid()
			tt.change(q)
			wantError(t, f.code2Session(q), tt.code, tt.msg)
		})
	}
}

func TestJSCode2SessionPostBodyIsIgnored(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	form := url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {f.issue(appA, "bob")}, "grant_type": {"authorization_code"}}
	wantError(t, f.do(http.MethodPost, "/sns/jscode2session", form.Encode()), 41002, "appid missing")
}

func TestJSCode2SessionSuccess(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	r := f.login(appA, secretA, f.issue(appA, "carol"))
	if r.status != http.StatusOK || r.str("openid") == "" {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	if _, ok := r.body["errcode"]; ok {
		t.Errorf("success carries errcode: %s", r.raw)
	}
	if got := r.header.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain", got)
	}
	key, err := base64.StdEncoding.DecodeString(r.str("session_key"))
	if err != nil || len(key) != 16 {
		t.Errorf("session_key %q is not base64 of 16 bytes", r.str("session_key"))
	}
	if got := f.fake.SessionKey(appA, "carol"); got != r.str("session_key") {
		t.Errorf("SessionKey = %q, want the one issued", got)
	}
	again := f.login(appA, secretA, f.issue(appA, "carol"))
	if again.str("session_key") == r.str("session_key") {
		t.Error("session_key did not change between logins")
	}
}

func TestCodeSingleUse(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	code := f.issue(appA, "dave")
	if r := f.login(appA, secretA, code); r.errcode() != 0 {
		t.Fatalf("first use: %s", r.raw)
	}
	wantError(t, f.login(appA, secretA, code), 40163, "code been used")
}

func TestForeignCodeStaysUsable(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	code := f.issue(appA, "erin")
	wantError(t, f.login(appB, secretB, code), 40029, "invalid code")
	if r := f.login(appA, secretA, code); r.errcode() != 0 {
		t.Errorf("code refused after a foreign attempt: %s", r.raw)
	}
}

func TestCodeExpiry(t *testing.T) {
	f := newFixture(t, wechattest.Options{CodeTTL: 5 * time.Minute})
	fresh, stale := f.issue(appA, "frank"), f.issue(appA, "frank")
	f.clock.Add(5*time.Minute - time.Second)
	if r := f.login(appA, secretA, fresh); r.errcode() != 0 {
		t.Errorf("code refused before expiry: %s", r.raw)
	}
	f.clock.Add(time.Second)
	wantError(t, f.login(appA, secretA, stale), 40029, "invalid code")
}

var openIDShape = regexp.MustCompile(`^o[0-9A-Za-z_-]{27}$`)

func TestOpenIDIsStable(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	first := f.login(appA, secretA, f.issue(appA, "gina")).str("openid")
	second := f.login(appA, secretA, f.issue(appA, "gina")).str("openid")
	other := f.login(appB, secretB, f.issue(appB, "gina")).str("openid")
	if !openIDShape.MatchString(first) {
		t.Errorf("openid %q is not o + 27 characters", first)
	}
	if first != second {
		t.Errorf("same user and app: %q then %q", first, second)
	}
	if first == other {
		t.Error("two apps gave the same openid")
	}
	if restarted := wechattest.New(wechattest.Options{}).OpenID(appA, "gina"); restarted != first {
		t.Errorf("a new server derives %q, want %q", restarted, first)
	}
	if f.fake.OpenID(appA, "gino") == first {
		t.Error("two users share an openid")
	}
}

func TestUnionID(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	a := f.login(appA, secretA, f.issue(appA, "hugo"))
	b := f.login(appB, secretB, f.issue(appB, "hugo"))
	c := f.login(appC, secretC, f.issue(appC, "hugo"))
	want := f.fake.UnionID(openPlatform, "hugo")
	if a.str("unionid") != want || b.str("unionid") != want {
		t.Errorf("unionids %q, %q; want %q for both", a.str("unionid"), b.str("unionid"), want)
	}
	if _, ok := c.body["unionid"]; ok || c.str("openid") == "" {
		t.Errorf("unbound app: %s, want an openid and no unionid", c.raw)
	}
	if f.fake.UnionID(openPlatform, "ivy") == want {
		t.Error("two users share a unionid")
	}
}

func TestUserMinuteQuota(t *testing.T) {
	f := newFixture(t, wechattest.Options{UserPerMinute: 3})
	for i, appid := range []string{appA, appB, appA} {
		secret := map[string]string{appA: secretA, appB: secretB}[appid]
		if r := f.login(appid, secret, f.issue(appid, "jack")); r.errcode() != 0 {
			t.Fatalf("call %d: %s", i+1, r.raw)
		}
	}
	held := f.issue(appB, "jack")
	wantError(t, f.login(appB, secretB, held), 45011, "api minute-quota reach limit mustslower retry next minute")
	if r := f.login(appA, secretA, f.issue(appA, "kate")); r.errcode() != 0 {
		t.Errorf("another user was limited: %s", r.raw)
	}
	f.clock.Add(time.Minute)
	if r := f.login(appB, secretB, held); r.errcode() != 0 {
		t.Errorf("next minute, the held code: %s", r.raw)
	}
}

func TestIssueCode(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	if _, err := f.fake.IssueCode("wxunknown", "lea"); err == nil {
		t.Error("IssueCode accepted an unknown appid")
	}
	if _, err := f.fake.IssueCode(appA, ""); err == nil {
		t.Error("IssueCode accepted an empty user")
	}
	a, b := f.issue(appA, "lea"), f.issue(appA, "lea")
	if !regexp.MustCompile(`^[0-9A-Za-z]{32}$`).MatchString(a) || a == b {
		t.Errorf("codes %q, %q: want two distinct 32-character codes", a, b)
	}
}
