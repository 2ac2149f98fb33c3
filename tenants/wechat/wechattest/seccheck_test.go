package wechattest_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

// TestMsgSecCheckWire: msg_sec_check v2 as WeChat documents it:
// token in the query, the user's recent visit, errcode 0 with the verdict
// in result even for risky text.
func TestMsgSecCheckWire(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	f.fake.SetContentRule("坏词", "risky", 20006)
	f.fake.SetContentRule("可疑", "review", 20012)
	tok := f.token()
	openid := f.login(appA, secretA, f.issue(appA, "u1")).str("openid")
	otherApp := f.login(appC, secretC, f.issue(appC, "u2")).str("openid")
	path := "/wxa/msg_sec_check?access_token=" + url.QueryEscape(tok)
	body := func(openid, content string, scene int) string {
		b, _ := json.Marshal(map[string]any{"version": 2, "openid": openid, "scene": scene, "content": content})
		return string(b)
	}
	errors := []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"GET", http.MethodGet, path, "", 43302, "method must be POST"},
		{"no access_token", http.MethodPost, "/wxa/msg_sec_check", body(openid, "hi", 1), 41001, "access_token missing"},
		{"bad access_token", http.MethodPost, "/wxa/msg_sec_check?access_token=96_x", body(openid, "hi", 1), 40001,
			"invalid credential, access_token is invalid or not latest"},
		{"token in the body only", http.MethodPost, "/wxa/msg_sec_check", `{"access_token":"` + tok + `","version":2}`, 47001, "data format error"},
		{"empty body", http.MethodPost, path, "", 44002, "empty post data"},
		{"not JSON", http.MethodPost, path, "content=hi", 47001, "data format error"},
		{"no content", http.MethodPost, path, body(openid, "", 1), 47001, "data format error"},
		{"no openid", http.MethodPost, path, body("", "hi", 1), 41009, "missing openid"},
		{"unknown openid", http.MethodPost, path, body("oNobody", "hi", 1), 40003, "invalid openid"},
		{"openid of another app", http.MethodPost, path, body(otherApp, "hi", 1), 43104, "appid and openid not match"},
		{"bad scene", http.MethodPost, path, body(openid, "hi", 9), 40129, "invalid scene"},
	}
	for _, tt := range errors {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(tt.method, tt.path, tt.body), tt.want, tt.msg)
		})
	}
	verdicts := []struct {
		content, suggest string
		label            float64
	}{
		{"小明", "pass", 100},
		{"我是坏词呀", "risky", 20006},
		{"有点可疑", "review", 20012},
		{"可疑的坏词", "risky", 20006}, // the gravest rule wins
	}
	trace := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)
	for _, v := range verdicts {
		t.Run(v.content, func(t *testing.T) {
			r := f.do(http.MethodPost, path, body(openid, v.content, 1))
			res, _ := r.body["result"].(map[string]any)
			detail, _ := r.body["detail"].([]any)
			if r.errcode() != 0 || r.str("errmsg") != "ok" || res["suggest"] != v.suggest || res["label"] != v.label ||
				len(detail) != 2 || !trace.MatchString(r.str("trace_id")) {
				t.Fatalf("answer %s", r.raw)
			}
		})
	}
	// Version 1 (legacy): no version, 87014 for risky text.
	wantError(t, f.do(http.MethodPost, path, `{"content":"坏词"}`), 87014, "risky content")
	if r := f.do(http.MethodPost, path, `{"content":"fine"}`); r.errcode() != 0 || r.body["result"] != nil {
		t.Fatalf("v1 pass: %s", r.raw)
	}
	// The user's visit record lasts 2 hours (61010 after).
	f.clock.Add(2*time.Hour + time.Second)
	tok = f.token()
	wantError(t, f.do(http.MethodPost, "/wxa/msg_sec_check?access_token="+url.QueryEscape(tok), body(openid, "hi", 1)), 61010, "code is expired")
	if f.fake.Calls("msg_sec_check") == 0 {
		t.Fatal("calls not counted")
	}
}

func TestMockContentRule(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"word":"x","suggest":"risky","label":20001}`, 204},
		{`{"word":"y","suggest":"review"}`, 204},
		{`{"word":"x","suggest":"pass"}`, 204},
		{`{"word":"","suggest":"risky"}`, 400},
		{`{"word":"z","suggest":"maybe"}`, 400},
		{`{"word":"z","suggest":"risky","extra":1}`, 400},
	} {
		if r := f.do(http.MethodPost, "/mock/msg_sec_check", tt.body); r.status != tt.want {
			t.Errorf("%s: %d, want %d", tt.body, r.status, tt.want)
		}
	}
	tok := f.token()
	openid := f.login(appA, secretA, f.issue(appA, "u1")).str("openid")
	check := func(content string) string {
		r := f.do(http.MethodPost, "/wxa/msg_sec_check?access_token="+url.QueryEscape(tok),
			`{"version":2,"scene":1,"openid":"`+openid+`","content":"`+content+`"}`)
		res, _ := r.body["result"].(map[string]any)
		s, _ := res["suggest"].(string)
		return s
	}
	if check("x") != "pass" || check("y") != "review" {
		t.Fatal("rules not applied as set")
	}
	f.fake.Reset()
	tok = f.token()
	openid = f.login(appA, secretA, f.issue(appA, "u1")).str("openid")
	if check("y") != "review" {
		t.Fatal("rules must outlive Reset, like apps")
	}
}

// TestUserInfoIsAnonymous: wx.getUserInfo answers the anonymous profile in
// rawData and encryptedData alike (WeChat's demoted profile), whatever the
// person's real profile; ids stay real.
func TestUserInfoIsAnonymous(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	f.fake.SetPerson("u1", "", "", "真名", "https://example.com/real.png")
	f.login(appA, secretA, f.issue(appA, "u1"))
	d, err := f.fake.UserInfo(appA, "u1")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(d.RawData), &raw); err != nil || raw["nickName"] != wechattest.AnonymousNickname ||
		raw["avatarUrl"] != wechattest.AnonymousAvatarURL || raw["is_demote"] != true || raw["openId"] != nil {
		t.Fatalf("rawData %s", d.RawData)
	}
	plain := decryptOpenData(t, f.fake.SessionKey(appA, "u1"), d)
	var full map[string]any
	if err := json.Unmarshal(plain, &full); err != nil || full["nickName"] != wechattest.AnonymousNickname ||
		full["avatarUrl"] != wechattest.AnonymousAvatarURL || full["openId"] != f.fake.OpenID(appA, "u1") ||
		full["unionId"] != f.fake.UnionID(openPlatform, "u1") {
		t.Fatalf("encrypted %s", plain)
	}
	if want := `{"openId":"`; string(plain[:len(want)]) != want {
		t.Fatalf("the encrypted JSON opens with %q, WeChat's with openId", plain[:16])
	}
}

// decryptOpenData opens d as a backend would (AES-128-CBC, PKCS#7), apart
// from the fake's own code.
func decryptOpenData(t *testing.T, sessionKey string, d wechattest.OpenData) []byte {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(sessionKey)
	iv, _ := base64.StdEncoding.DecodeString(d.IV)
	ct, _ := base64.StdEncoding.DecodeString(d.EncryptedData)
	block, err := aes.NewCipher(key)
	if err != nil || len(ct)%aes.BlockSize != 0 {
		t.Fatalf("bad open data: %v", err)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	return plain[:len(plain)-int(plain[len(plain)-1])]
}
