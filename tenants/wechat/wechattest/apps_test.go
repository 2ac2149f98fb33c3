package wechattest_test

import (
	"net/http"
	"testing"

	"miniauth/tenants/wechat/wechattest"
)

func TestLearnAppOverHTTP(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	const appD, secretD = "wx0123456789abcd0d", "0123456789abcdef0123456789abcdef"
	body := `{"appid":"` + appD + `","secret":"` + secretD + `","open_platform_id":"` + openPlatform + `"}`

	// Unknown before: wx.login refuses it as WeChat refuses an unknown AppID.
	if r := f.do(http.MethodPost, "/mock/wx.login", `{"appid":"`+appD+`","user":"mia"}`); r.errcode() != 40013 {
		t.Fatalf("wx.login before POST /mock/apps: %d %s", r.status, r.raw)
	}

	tests := []struct {
		name    string
		body    string
		status  int
		errcode int
	}{
		{"learns", body, 201, 0},
		{"same again is a no-op", body, 200, 0},
		{"another secret", `{"appid":"` + appD + `","secret":"another-secret"}`, 409, 40013},
		{"another binding", `{"appid":"` + appD + `","secret":"` + secretD + `"}`, 409, 40013},
		{"a known app with another secret", `{"appid":"` + appA + `","secret":"x"}`, 409, 40013},
		{"appid missing", `{"secret":"s"}`, 400, 41002},
		{"appid not wx+16 hex", `{"appid":"wx0123","secret":"s"}`, 400, 40013},
		{"appid upper case", `{"appid":"wx0123456789ABCDEF","secret":"s"}`, 400, 40013},
		{"secret missing", `{"appid":"wx0123456789abcd0e"}`, 400, 41004},
		{"secret with a space", `{"appid":"wx0123456789abcd0e","secret":"a b"}`, 400, 40125},
		{"unknown field", `{"appid":"wx0123456789abcd0e","secret":"s","domain":"x"}`, 400, 47001},
		{"not JSON", `appid=x`, 400, 47001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(http.MethodPost, "/mock/apps", tt.body)
			if r.status != tt.status || r.errcode() != tt.errcode {
				t.Fatalf("got %d %s, want %d errcode %d", r.status, r.raw, tt.status, tt.errcode)
			}
			if tt.status < 300 && (r.str("appid") != appD || r.body["created"] != (tt.status == 201)) {
				t.Errorf("body %s", r.raw)
			}
		})
	}

	// Learned: a code of it redeems with its secret, with the open
	// platform's unionid, and survives /mock/reset like the other apps.
	if r := f.do(http.MethodPost, "/mock/reset", ""); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d", r.status)
	}
	code := f.do(http.MethodPost, "/mock/wx.login", `{"appid":"`+appD+`","user":"mia"}`).str("code")
	r := f.login(appD, secretD, code)
	if r.str("openid") != f.fake.OpenID(appD, "mia") || r.str("unionid") == "" {
		t.Fatalf("a learned app's login: %s", r.raw)
	}
	if u := f.login(appA, secretA, f.issue(appA, "mia")).str("unionid"); u != r.str("unionid") {
		t.Errorf("unionid %q in the learned app, %q in app A of the same open platform", r.str("unionid"), u)
	}
	wantError(t, f.login(appD, "another-secret", f.issue(appD, "mia")), 40125, "invalid appsecret")
}
