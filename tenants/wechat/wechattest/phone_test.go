package wechattest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

// token fetches appA's stable token.
func (f *fixture) token() string {
	f.t.Helper()
	r := f.do(http.MethodPost, "/cgi-bin/stable_token",
		`{"grant_type":"client_credential","appid":"`+appA+`","secret":"`+secretA+`"}`)
	tok := r.str("access_token")
	if tok == "" {
		f.t.Fatalf("stable_token: %s", r.raw)
	}
	return tok
}

func TestGetUserPhoneNumberWire(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	tok := f.token()
	f.fake.SetPerson("u1", "86", "13800138000", "", "")
	code, _ := f.fake.IssuePhoneCode(appA, "u1")
	path := "/wxa/business/getuserphonenumber?access_token=" + url.QueryEscape(tok)
	tests := []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"GET", http.MethodGet, path, "", 43002, "require POST method"},
		{"empty body", http.MethodPost, path, "", 44002, "empty post data"},
		{"form body", http.MethodPost, path, "code=" + code, 47001, "data format error"},
		{"no access_token", http.MethodPost, "/wxa/business/getuserphonenumber", `{"code":"` + code + `"}`, 41001, "access_token missing"},
		{"bad access_token", http.MethodPost, "/wxa/business/getuserphonenumber?access_token=96_x", `{"code":"` + code + `"}`, 40001,
			"invalid credential, access_token is invalid or not latest"},
		{"no code", http.MethodPost, path, `{}`, 40029, "invalid code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(tt.method, tt.path, tt.body), tt.want, tt.msg)
		})
	}
	r := f.do(http.MethodPost, path, `{"code":"`+code+`"}`)
	var ok struct {
		Errcode   int    `json:"errcode"`
		Errmsg    string `json:"errmsg"`
		PhoneInfo struct {
			PhoneNumber string          `json:"phoneNumber"`
			Pure        string          `json:"purePhoneNumber"`
			CountryCode json.RawMessage `json:"countryCode"`
			Watermark   struct {
				AppID     string `json:"appid"`
				Timestamp int64  `json:"timestamp"`
			} `json:"watermark"`
		} `json:"phone_info"`
	}
	if err := json.Unmarshal([]byte(r.raw), &ok); err != nil || ok.Errcode != 0 || ok.Errmsg != "ok" ||
		ok.PhoneInfo.Pure != "13800138000" || string(ok.PhoneInfo.CountryCode) != "86" ||
		ok.PhoneInfo.Watermark.AppID != appA || ok.PhoneInfo.Watermark.Timestamp != f.clock.Now().Unix() {
		t.Fatalf("success body %s", r.raw)
	}
}

func TestCheckSessionWire(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	tok := f.token()
	r := f.login(appA, secretA, f.issue(appA, "u1"))
	openid, key := r.str("openid"), r.str("session_key")
	m := hmac.New(sha256.New, []byte(key))
	sig := hex.EncodeToString(m.Sum(nil))
	q := func(sig, method string) string {
		return "/wxa/checksession?" + url.Values{"access_token": {tok}, "openid": {openid}, "signature": {sig}, "sig_method": {method}}.Encode()
	}
	if r := f.do(http.MethodGet, q(sig, "hmac_sha256"), ""); r.errcode() != 0 || r.str("errmsg") != "ok" {
		t.Fatalf("valid key: %s", r.raw)
	}
	wantError(t, f.do(http.MethodGet, q(sig, "md5"), ""), 87008, "invalid sig_method")
	wantError(t, f.do(http.MethodGet, q(hex.EncodeToString(make([]byte, 32)), "hmac_sha256"), ""), 87009, "invalid signature")
	f.clock.Add(3 * time.Hour) // the token expired
	wantError(t, f.do(http.MethodGet, q(sig, "hmac_sha256"), ""), 42001, "access_token expired")
}

func TestTokensAcrossRefreshes(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	token := func(q string) string {
		r := f.do(http.MethodGet, "/cgi-bin/token?grant_type=client_credential&appid="+appA+"&secret="+secretA+q, "")
		return r.str("access_token")
	}
	check := func(tok string) int {
		return f.do(http.MethodGet, "/wxa/checksession?access_token="+url.QueryEscape(tok)+"&openid=o&signature=x&sig_method=hmac_sha256", "").errcode()
	}
	first := token("")
	second := token("") // the first stays usable for 5 minutes
	if check(first) != 87009 || check(second) != 87009 {
		t.Fatal("tokens of cgi-bin/token not accepted")
	}
	f.clock.Add(6 * time.Minute)
	if got := check(first); got != 42001 {
		t.Fatalf("replaced token after 6 minutes: errcode %d, want 42001", got)
	}
	stable := f.token()
	forced := f.do(http.MethodPost, "/cgi-bin/stable_token",
		`{"grant_type":"client_credential","appid":"`+appA+`","secret":"`+secretA+`","force_refresh":true}`).str("access_token")
	if check(stable) != 40001 || check(forced) != 87009 {
		t.Fatal("a forced refresh must invalidate the previous stable token at once")
	}
}
