package wechat_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

const (
	oaID, oaSecret = "wx3333333333333333", "S3CRET-official-account-never"
	oaDomain       = "h5.example.com"
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize plays a browser on the simulator's authorize page and returns
// the redirect's query, or the error page's body.
func authorize(t *testing.T, f *fake, appid, redirect, scope, extra string) (url.Values, string) {
	t.Helper()
	u := wechat.AuthorizeURL(f.url, appid, redirect, scope, "st4te") + ""
	u = strings.Replace(u, "#wechat_redirect", extra+"#wechat_redirect", 1)
	res, err := noFollow.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusFound {
		return nil, string(body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Host != oaDomain {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	return loc.Query(), ""
}

func TestAuthorizePage(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	f.AddOfficialAccount(oaID, oaSecret, openPlatform, oaDomain)
	back := "https://" + oaDomain + "/cb?x=1"
	tests := []struct {
		name, appid, redirect, scope, extra string
		wantPage                            string // an error page with this code, or "" for a redirect
		wantCode                            bool
	}{
		{name: "consent", appid: oaID, redirect: back, scope: wechat.ScopeUserInfo, wantCode: true},
		{name: "silent", appid: oaID, redirect: back, scope: wechat.ScopeBase, wantCode: true},
		{name: "refusal", appid: oaID, redirect: back, scope: wechat.ScopeUserInfo, extra: "&mock_deny=1"},
		{name: "no appid", appid: "", redirect: back, scope: wechat.ScopeBase, wantPage: "10012"},
		{name: "a mini-program's appid", appid: appID, redirect: back, scope: wechat.ScopeBase, wantPage: "10016"},
		{name: "no redirect_uri", appid: oaID, redirect: "", scope: wechat.ScopeBase, wantPage: "10011"},
		{name: "redirect_uri on another domain", appid: oaID, redirect: "https://evil.example/cb", scope: wechat.ScopeBase, wantPage: "10003"},
		{name: "no scope", appid: oaID, redirect: back, scope: "", wantPage: "10010"},
		{name: "unknown scope", appid: oaID, redirect: back, scope: "snsapi_login", wantPage: "10005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, page := authorize(t, f, tt.appid, tt.redirect, tt.scope, tt.extra)
			if tt.wantPage != "" {
				if !strings.Contains(page, tt.wantPage) {
					t.Fatalf("page %q, want errcode %s", page, tt.wantPage)
				}
				return
			}
			if q.Get("state") != "st4te" || q.Get("x") != "1" || (q.Get("code") != "") != tt.wantCode {
				t.Fatalf("redirect query %v", q)
			}
		})
	}
}

func TestOAuthAccessTokenAndUserInfo(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	f.AddOfficialAccount(oaID, oaSecret, openPlatform, oaDomain)
	f.AddOfficialAccount("wx4444444444444444", "S3CRET-lone-official-account", "", "")
	f.SetPerson("h5", "", "", "小红", "https://thirdwx.qlogo.cn/x/132")
	c := newClient(f.url)
	ctx := context.Background()
	code := func(scope string) string {
		q, page := authorize(t, f, oaID, "https://"+oaDomain+"/cb", scope, "&mock_user=h5")
		if q == nil {
			t.Fatal(page)
		}
		return q.Get("code")
	}

	userinfo, base := code(wechat.ScopeUserInfo), code(wechat.ScopeBase)
	tok, err := c.OAuthAccessToken(ctx, oaID, oaSecret, userinfo)
	if err != nil || tok.OpenID != f.OpenID(oaID, "h5") || tok.UnionID != f.UnionID(openPlatform, "h5") || tok.Scope != wechat.ScopeUserInfo {
		t.Fatalf("userinfo scope: %+v, %v", tok, err)
	}
	info, err := c.OAuthUserInfo(ctx, tok.AccessToken, tok.OpenID)
	if err != nil || info.Nickname != "小红" || info.UnionID != tok.UnionID || info.HeadImgURL == "" {
		t.Fatalf("userinfo: %+v, %v", info, err)
	}
	baseTok, err := c.OAuthAccessToken(ctx, oaID, oaSecret, base)
	if err != nil || baseTok.UnionID != "" || baseTok.OpenID != tok.OpenID {
		t.Fatalf("base scope: %+v, %v (no unionid in snsapi_base)", baseTok, err)
	}

	exchange := []struct {
		name, appid, secret, code string
		faults                    wechattest.Faults
		want                      int
	}{
		{"used code", oaID, oaSecret, userinfo, wechattest.Faults{}, 40163},
		{"unknown code", oaID, oaSecret, "CODE0000000000000000000000000000", wechattest.Faults{}, 40029},
		{"code of another account", "wx4444444444444444", "S3CRET-lone-official-account", code(wechat.ScopeBase), wechattest.Faults{}, 40029},
		{"no code", oaID, oaSecret, "", wechattest.Faults{}, 41008},
		{"wrong secret", oaID, "wrong-secret-000000000000", code(wechat.ScopeBase), wechattest.Faults{}, 40125},
		{"unknown appid", "wx9999999999999999", oaSecret, code(wechat.ScopeBase), wechattest.Faults{}, 40013},
		{"system error is not retried", oaID, oaSecret, code(wechat.ScopeBase), wechattest.Faults{SystemErrors: 1}, -1},
	}
	for _, tt := range exchange {
		t.Run(tt.name, func(t *testing.T) {
			f.SetFaults(tt.faults)
			defer f.SetFaults(wechattest.Faults{})
			before := f.Calls("oauth2/access_token")
			_, err := c.OAuthAccessToken(ctx, tt.appid, tt.secret, tt.code)
			wantClean(t, err, tt.code, oaSecret)
			if !wechat.IsCode(err, tt.want) || f.Calls("oauth2/access_token")-before != 1 {
				t.Fatalf("err = %v, want %d after one call", err, tt.want)
			}
		})
	}

	users := []struct {
		name, token, openid string
		before              func()
		want                int
	}{
		{"snsapi_base token", baseTok.AccessToken, baseTok.OpenID, nil, 48001},
		{"openid of someone else", tok.AccessToken, f.OpenID(oaID, "other"), nil, 40003},
		{"no openid", tok.AccessToken, "", nil, 41009},
		{"no token", "", tok.OpenID, nil, 41001},
		{"unknown token", "96_nope", tok.OpenID, nil, 40001},
		{"expired token", tok.AccessToken, tok.OpenID, func() { f.clockAdd(3 * time.Hour) }, 42001},
	}
	for _, tt := range users {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			_, err := c.OAuthUserInfo(ctx, tt.token, tt.openid)
			wantClean(t, err, tt.token)
			if !wechat.IsCode(err, tt.want) {
				t.Fatalf("err = %v, want %d", err, tt.want)
			}
		})
	}
}
