package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

// Open Platform apps of the test open platform (openPlatform, the one the
// bound mini-program appID belongs to), and one of another open platform.
const (
	mobileID, mobileSecret = "wxapp0123456789ab", "S3CRET-mobile-app-never-in-errors"
	webID, webSecret       = "wxweb0123456789ab", "S3CRET-website-app-never-in-errors"
	farMobileID, farSecret = "wxapp9999999999ab", "S3CRET-far-mobile-app-never-seen"
	webDomain              = "www.example.com"
)

// mockPost posts body to one of the simulator's /mock/* endpoints over
// HTTP and decodes the JSON answer into out (when not nil).
func mockPost(t *testing.T, f *fake, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(f.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return res.StatusCode
}

// sendAuth plays the WeChat Open SDK's SendAuth on user's phone
// (wechat-open-api.md §1.2) through POST /mock/app.auth.
func sendAuth(t *testing.T, f *fake, appid, user string) string {
	t.Helper()
	var resp struct {
		ErrCode int    `json:"errCode"`
		Code    string `json:"code"`
		State   string `json:"state"`
	}
	if st := mockPost(t, f, "/mock/app.auth", map[string]string{"appid": appid, "user": user, "state": "app-st4te"}, &resp); st != http.StatusOK || resp.ErrCode != 0 || resp.Code == "" || resp.State != "app-st4te" {
		t.Fatalf("app.auth: %d %+v", st, resp)
	}
	return resp.Code
}

func advance(t *testing.T, f *fake, d time.Duration) {
	t.Helper()
	if st := mockPost(t, f, "/mock/clock", map[string]float64{"advance_seconds": d.Seconds()}, nil); st != http.StatusOK {
		t.Fatalf("/mock/clock: %d", st)
	}
}

func openFake(t *testing.T) *fake {
	t.Helper()
	f := newFake(t, wechattest.Options{})
	f.AddMobileApp(mobileID, mobileSecret, openPlatform)
	f.AddMobileApp(farMobileID, farSecret, "another-open-platform")
	f.AddWebsite(webID, webSecret, openPlatform, "")
	f.AddOfficialAccount(oaID, oaSecret, openPlatform, oaDomain)
	f.SetPerson("lin", "", "", "林", "https://thirdwx.qlogo.cn/mmopen/lin/132")
	return f
}

// TestMobileAppLogin: the server side of the WeChat app's login
// (wechat-open-api.md §1.3): a SendAuth code of a mobile application
// exchanged with its AppSecret; the unionid is the one the same user has in
// the mini-program of the same open platform (wechat-api.md §7), the
// openid is the app's own; sns/userinfo (§1.5) answers the profile.
func TestMobileAppLogin(t *testing.T) {
	f := openFake(t)
	c := newClient(f.url)
	ctx := context.Background()

	tok, err := c.OAuthAccessToken(ctx, mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.OpenID != f.OpenID(mobileID, "lin") || tok.Scope != wechat.ScopeUserInfo || tok.AccessToken == "" ||
		tok.RefreshToken == "" || tok.ExpiresIn != 7200 || tok.Snapshot != 0 {
		t.Fatalf("token = %+v", tok)
	}
	mp, err := c.Code2Session(ctx, appID, appSecret, f.code(t, appID, "lin"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.UnionID == "" || tok.UnionID != mp.UnionID || tok.OpenID == mp.OpenID {
		t.Fatalf("mobile app %s/%s, mini-program %s/%s: want one unionid, two openids", tok.OpenID, tok.UnionID, mp.OpenID, mp.UnionID)
	}
	far, err := c.OAuthAccessToken(ctx, farMobileID, farSecret, sendAuth(t, f, farMobileID, "lin"))
	if err != nil || far.UnionID == "" || far.UnionID == tok.UnionID {
		t.Fatalf("app of another open platform: %+v, %v; want another unionid", far, err)
	}

	info, err := c.OAuthUserInfo(ctx, tok.AccessToken, tok.OpenID)
	if err != nil || info.OpenID != tok.OpenID || info.UnionID != tok.UnionID || info.Nickname != "林" || info.HeadImgURL != "https://thirdwx.qlogo.cn/mmopen/lin/132" {
		t.Fatalf("userinfo = %+v, %v", info, err)
	}
	if _, err := c.OAuthUserInfo(ctx, tok.AccessToken, f.OpenID(appID, "lin")); !wechat.IsCode(err, 40003) {
		t.Fatalf("userinfo with the mini-program's openid: %v, want 40003", err)
	}

	used := sendAuth(t, f, mobileID, "lin")
	if _, err := c.OAuthAccessToken(ctx, mobileID, mobileSecret, used); err != nil {
		t.Fatal(err)
	}
	exchange := []struct {
		name, appid, secret, code string
		before                    func()
		want                      int
	}{
		{"§1.3 used code", mobileID, mobileSecret, used, nil, 40163},
		{"§1.3 unknown code", mobileID, mobileSecret, "CODE0000000000000000000000000000", nil, 40029},
		{"§1.3 code of another mobile app", farMobileID, farSecret, sendAuth(t, f, mobileID, "lin"), nil, 40029},
		{"§1.3 wx.login code of the mini-program", mobileID, mobileSecret, f.code(t, appID, "lin"), nil, 40029},
		{"§1.3 no code", mobileID, mobileSecret, "", nil, 41008},
		{"§1.3 wrong secret", mobileID, "wrong-secret-000000000000", sendAuth(t, f, mobileID, "lin"), nil, 40125},
		{"§1.3 the mini-program's secret", mobileID, appSecret, sendAuth(t, f, mobileID, "lin"), nil, 40125},
		{"§1.3 unknown appid", "wx9999999999999999", mobileSecret, sendAuth(t, f, mobileID, "lin"), nil, 40013},
		{"§1.2 code expired after 10 minutes", mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"), func() { advance(t, f, 10*time.Minute) }, 40029},
		{"§1.3 system error is not retried", mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"), func() {
			mockPost(t, f, "/mock/rules", wechattest.Rule{API: "oauth2/access_token", Errcode: -1}, nil)
		}, -1},
		{"§1.3 IP whitelist", mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"), func() {
			mockPost(t, f, "/mock/rules", wechattest.Rule{API: "oauth2/access_token", Errcode: 40164}, nil)
		}, 40164},
	}
	for _, tt := range exchange {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			before := f.Calls("oauth2/access_token")
			_, err := c.OAuthAccessToken(ctx, tt.appid, tt.secret, tt.code)
			wantClean(t, err, tt.code, mobileSecret, farSecret)
			if !wechat.IsCode(err, tt.want) || f.Calls("oauth2/access_token")-before != 1 {
				t.Fatalf("err = %v, want %d after one call", err, tt.want)
			}
			if tt.want == -1 && !errors.Is(err, wechat.ErrUnavailable) {
				t.Fatalf("-1 is not ErrUnavailable: %v", err)
			}
		})
	}

	// A code lives 10 minutes (wechat-open-api.md §2.2; the mobile doc
	// gives no figure, §1.2): one second short of that it still works.
	fresh := sendAuth(t, f, mobileID, "lin")
	advance(t, f, 10*time.Minute-time.Second)
	if _, err := c.OAuthAccessToken(ctx, mobileID, mobileSecret, fresh); err != nil {
		t.Fatalf("a code of 9m59s: %v", err)
	}

	f.SetFaults(wechattest.Faults{Garbage: true})
	_, err = c.OAuthAccessToken(ctx, mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"))
	f.SetFaults(wechattest.Faults{})
	if !errors.Is(err, wechat.ErrUnavailable) || wechat.IsCode(err, -1) {
		t.Fatalf("garbage answer: %v, want ErrUnavailable", err)
	}
}

// TestSendAuthPhoneSide: POST /mock/app.auth mints codes for mobile apps
// only, and a rule plays the user cancelling or denying SendAuth
// (errCode -2, -4, wechat-open-api.md §1.2).
func TestSendAuthPhoneSide(t *testing.T) {
	f := openFake(t)
	for _, tt := range []struct {
		name, appid, user string
	}{
		{"a mini-program", appID, "lin"},
		{"a website", webID, "lin"},
		{"an official account", oaID, "lin"},
		{"unknown", "wx9999999999999999", "lin"},
		{"no user", mobileID, ""},
	} {
		var resp map[string]any
		if st := mockPost(t, f, "/mock/app.auth", map[string]string{"appid": tt.appid, "user": tt.user}, &resp); st != http.StatusBadRequest || resp["code"] != nil {
			t.Errorf("%s: %d %v, want 400 and no code", tt.name, st, resp)
		}
	}
	mockPost(t, f, "/mock/rules", wechattest.Rule{API: "app.auth", Errcode: -4}, nil)
	var resp map[string]any
	if st := mockPost(t, f, "/mock/app.auth", map[string]string{"appid": mobileID, "user": "lin"}, &resp); st != http.StatusOK || resp["errCode"] != -4.0 || resp["code"] != nil {
		t.Fatalf("denied SendAuth: %d %v", st, resp)
	}
	// The rule was spent; a "*" rule is for server APIs, not SendAuth.
	mockPost(t, f, "/mock/rules", wechattest.Rule{API: "*", Errcode: -1}, nil)
	sendAuth(t, f, mobileID, "lin")
	// Counted: the four well-formed refusals, the denial and the success.
	if n := f.Calls("app.auth"); n != 6 {
		t.Fatalf("app.auth calls = %d, want 6", n)
	}
}

// browse is a browser that follows redirects to the tenant's callback
// (a local server) but not elsewhere.
type browse struct {
	callback *httptest.Server
	got      chan url.Values
}

func newCallback(t *testing.T) *browse {
	t.Helper()
	b := &browse{got: make(chan url.Values, 1)}
	b.callback = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.got <- r.URL.Query()
		_, _ = io.WriteString(w, "signed in")
	}))
	t.Cleanup(b.callback.Close)
	return b
}

// open loads page in a browser that follows redirects; it returns the
// callback's query, or nil and the page's body when WeChat's page stayed.
func (b *browse) open(t *testing.T, page string) (url.Values, string) {
	t.Helper()
	res, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	select {
	case q := <-b.got:
		return q, ""
	default:
		return nil, string(body)
	}
}

// TestWebsiteQRLogin: the qrconnect page (wechat-open-api.md §2.1) consents
// at once and sends the browser back with code and state (§2.2); the code
// exchanged with the website's AppSecret (§2.3) answers scope
// snsapi_login, the website's own openid and the open platform's unionid,
// and its token reads sns/userinfo.
func TestWebsiteQRLogin(t *testing.T) {
	f := openFake(t)
	c := newClient(f.url)
	ctx := context.Background()
	b := newCallback(t)
	back := b.callback.URL + "/t/acme/oauth/wechat/callback?x=1"

	page := wechat.QRConnectURL(f.url, webID, back, "st4te")
	q, body := b.open(t, strings.Replace(page, "#wechat_redirect", "&mock_user=lin#wechat_redirect", 1))
	if q == nil || q.Get("state") != "st4te" || q.Get("x") != "1" || q.Get("code") == "" {
		t.Fatalf("callback query %v (page %q)", q, body)
	}
	code := q.Get("code")
	if _, err := c.OAuthAccessToken(ctx, mobileID, mobileSecret, code); !wechat.IsCode(err, 40029) {
		t.Fatalf("website code with the mobile app's credentials: %v, want 40029", err)
	}
	tok, err := c.OAuthAccessToken(ctx, webID, webSecret, code)
	if err != nil {
		t.Fatal(err)
	}
	mobile, err := c.OAuthAccessToken(ctx, mobileID, mobileSecret, sendAuth(t, f, mobileID, "lin"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Scope != wechat.ScopeLogin || tok.OpenID != f.OpenID(webID, "lin") || tok.OpenID == mobile.OpenID ||
		tok.UnionID == "" || tok.UnionID != mobile.UnionID || tok.Snapshot != 0 {
		t.Fatalf("website token %+v, mobile app's %+v", tok, mobile)
	}
	if _, err := c.OAuthAccessToken(ctx, webID, webSecret, code); !wechat.IsCode(err, 40163) {
		t.Fatalf("website code used twice: %v, want 40163", err)
	}
	info, err := c.OAuthUserInfo(ctx, tok.AccessToken, tok.OpenID)
	if err != nil || info.Nickname != "林" || info.UnionID != tok.UnionID {
		t.Fatalf("userinfo with snsapi_login: %+v, %v", info, err)
	}

	// The cookie the authorize page knows names the user here too.
	req, _ := http.NewRequest(http.MethodGet, page, nil)
	req.AddCookie(&http.Cookie{Name: "wxmock_user", Value: "lin"})
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	q = <-b.got
	if tok, err := c.OAuthAccessToken(ctx, webID, webSecret, q.Get("code")); err != nil || tok.OpenID != f.OpenID(webID, "lin") {
		t.Fatalf("cookie user: %+v, %v", tok, err)
	}

	// §2.2: a refusal the old way is a redirect with the state only.
	if q, _ := b.open(t, strings.Replace(page, "#", "&mock_deny=1#", 1)); q == nil || q.Get("code") != "" || q.Get("state") != "st4te" {
		t.Fatalf("refusal: %v", q)
	}
	// §2.2: the code lives 10 minutes.
	q, _ = b.open(t, page)
	advance(t, f, 10*time.Minute)
	if _, err := c.OAuthAccessToken(ctx, webID, webSecret, q.Get("code")); !wechat.IsCode(err, 40029) {
		t.Fatalf("website code after 10 minutes: %v, want 40029", err)
	}
}

// TestQRConnectRefusals: the qrconnect page shows WeChat's texts and
// redirects nowhere (wechat-open-api.md §2.2, §2.4) when the redirect_uri is
// off the website's callback domain, the scope is not snsapi_login or the
// appid is not a website application's.
func TestQRConnectRefusals(t *testing.T) {
	f := openFake(t)
	f.AddWebsite("wxweb0000000000cd", webSecret, openPlatform, webDomain)
	b := newCallback(t)
	pageOf := func(appid, redirect, scope string) string {
		u := wechat.QRConnectURL(f.url, appid, redirect, "st4te")
		return strings.Replace(u, "scope=snsapi_login", "scope="+url.QueryEscape(scope), 1)
	}
	tests := []struct {
		name, appid, redirect, scope, want string
	}{
		{"§2.4 another domain", "wxweb0000000000cd", "https://evil.example/cb", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.4 a sub-domain of another", "wxweb0000000000cd", "https://pay.example.com/cb", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.4 the parent domain", "wxweb0000000000cd", "https://example.com/cb", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.4 loopback is not the configured domain", "wxweb0000000000cd", b.callback.URL + "/cb", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.4 unconfigured website takes loopback only", webID, "https://" + webDomain + "/cb", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.2 no redirect_uri", webID, "", wechat.ScopeLogin, "该链接无法访问"},
		{"§2.2 scope of web OAuth", webID, b.callback.URL + "/cb", wechat.ScopeUserInfo, "该链接无法访问"},
		{"§2.2 an official account's appid", oaID, "https://" + oaDomain + "/cb", wechat.ScopeLogin, "Scope 参数错误或没有 Scope 权限"},
		{"§2.2 a mobile app's appid", mobileID, b.callback.URL + "/cb", wechat.ScopeLogin, "Scope 参数错误或没有 Scope 权限"},
		{"unknown appid", "wx9999999999999999", b.callback.URL + "/cb", wechat.ScopeLogin, "AppID 参数错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, body := b.open(t, pageOf(tt.appid, tt.redirect, tt.scope))
			if q != nil || !strings.Contains(body, tt.want) {
				t.Fatalf("redirected with %v, or page %q lacks %q", q, body, tt.want)
			}
		})
	}

	// The configured domain is accepted on any path and port (§2.4), and
	// PUT /mock/oauth-domains (the official accounts' knob) moves it.
	res, err := noFollow.Get(pageOf("wxweb0000000000cd", "https://WWW.example.com:8443/any/path", wechat.ScopeLogin))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("configured domain: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	reqBody := strings.NewReader(`{"appid":"` + webID + `","domains":["` + webDomain + `"]}`)
	req, _ := http.NewRequest(http.MethodPut, f.url+"/mock/oauth-domains", reqBody)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /mock/oauth-domains for a website: %v %v", res, err)
	}
	if q, body := b.open(t, pageOf(webID, b.callback.URL+"/cb", wechat.ScopeLogin)); q != nil || !strings.Contains(body, "该链接无法访问") {
		t.Fatalf("loopback after the domain moved: %v %q", q, body)
	}

	// Nor does web OAuth's authorize page take an Open Platform app
	// (wechat-api.md §6.1: 10016).
	for _, appid := range []string{webID, mobileID} {
		if q, page := authorize(t, f, appid, "https://"+oaDomain+"/cb", wechat.ScopeUserInfo, ""); q != nil || !strings.Contains(page, "10016") {
			t.Errorf("authorize page with %s: %v %q, want 10016", appid, q, page)
		}
	}

	// A rule on "qrconnect" keeps the browser on the page, as today's
	// WeChat does when the user refuses (§2.2).
	mockPost(t, f, "/mock/rules", wechattest.Rule{API: "qrconnect", Errcode: 10003}, nil)
	if q, body := b.open(t, pageOf("wxweb0000000000cd", "https://"+webDomain+"/cb", wechat.ScopeLogin)); q != nil || !strings.Contains(body, "10003") {
		t.Fatalf("ruled page: %v %q", q, body)
	}
}

// TestQRConnectURL: the website login address as the doc spells it
// (wechat-open-api.md §2.1), parameters in WeChat's order.
func TestQRConnectURL(t *testing.T) {
	got := wechat.QRConnectURL(wechat.DefaultAuthorizeURL, webID, "https://www.example.com/cb?a=1&b=2", "s t")
	want := "https://open.weixin.qq.com/connect/qrconnect?appid=" + webID +
		"&redirect_uri=https%3A%2F%2Fwww.example.com%2Fcb%3Fa%3D1%26b%3D2&response_type=code&scope=snsapi_login&state=s+t#wechat_redirect"
	if got != want {
		t.Fatalf("QRConnectURL =\n %s\nwant\n %s", got, want)
	}
}
