package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Website QR login (issue 15 part 3): /oauth/wechat/start with
// scope=snsapi_login, through the simulator's qrconnect page, back to the
// existing callback.

// qrStart starts a website QR login for redirect and returns WeChat's
// page and the state cookie, checking the redirect to qrconnect.
func (e *env) qrStart(redirect string) (qr *url.URL, cookie string) {
	e.t.Helper()
	res, body := e.hop("/t/acme/oauth/wechat/start?redirect_uri=" + url.QueryEscape(redirect) + "&scope=snsapi_login")
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	qr = location(e.t, res)
	for _, c := range res.Cookies() {
		if c.Name == "miniauth_oauth_state" {
			cookie = c.Value
		}
	}
	q := qr.Query()
	if qr.Path != "/connect/qrconnect" || q.Get("appid") != websiteAppID || q.Get("scope") != "snsapi_login" ||
		q.Get("response_type") != "code" || cookie == "" || q.Get("state") != cookie ||
		q.Get("redirect_uri") != e.base+"/t/acme/oauth/wechat/callback" || qr.Fragment != "wechat_redirect" {
		e.t.Fatalf("qrconnect URL %s (cookie %q)", qr, cookie)
	}
	return qr, cookie
}

// qrScan plays user scanning the QR code and confirming on the phone; it
// returns the callback WeChat sends the browser to.
func (e *env) qrScan(qr *url.URL, user string, extra ...string) string {
	e.t.Helper()
	q := qr.Query()
	q.Set("mock_user", user)
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	u := *qr
	u.RawQuery, u.Fragment = q.Encode(), ""
	res, body := e.hop(u.String())
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("qrconnect: %d %s", res.StatusCode, body)
	}
	return location(e.t, res).String()
}

// qrLogin is the whole chain for user; it returns the fragment the
// tenant's page gets.
func (e *env) qrLogin(user string) url.Values {
	e.t.Helper()
	qr, cookie := e.qrStart(h5Page)
	back := e.finish(e.qrScan(qr, user), cookie)
	frag, err := url.ParseQuery(back.Fragment)
	if err != nil || back.RawQuery != "" {
		e.t.Fatalf("back at %s", back)
	}
	remember(frag.Get("session"), "session token")
	return frag
}

func TestWebsiteQRLogin(t *testing.T) {
	e := withOpenApps(t)
	mp := e.loginBody(`{"code":"`+e.code("hong")+`"}`).str("user", "id")
	e.wx.SetPerson("lan", "", "", "小兰", "https://thirdwx.qlogo.cn/lan/132")

	before := e.state()
	frag := e.qrLogin("hong")
	if frag.Get("session") == "" || frag.Get("token_type") != "Bearer" || frag.Get("user_id") != mp || frag.Get("is_new") != "false" {
		t.Fatalf("hong on the website: %v; want the mini-program's user %s, joined by unionid", frag, mp)
	}
	if after := e.state(); after != (state{before.users, before.identities + 1, before.sessions + 1}) {
		t.Fatalf("hong's first QR login changed %+v → %+v, want one identity and one session", before, after)
	}
	if n := e.count(`SELECT COUNT(*) FROM identities i JOIN apps a ON a.id = i.app_id WHERE a.kind = 'website'`); n != 1 {
		t.Fatalf("%d website identities, want 1", n)
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(frag.Get("session"))...); r.Status != 200 || r.str("user", "id") != mp {
		t.Fatalf("the website's session: %d %s", r.Status, r.Raw)
	}
	// hong again: the same identity, a new session.
	if again := e.qrLogin("hong"); again.Get("user_id") != mp || again.Get("session") == frag.Get("session") {
		t.Fatalf("hong again: %v", again)
	}

	// A newcomer: a new user, with the profile sns/userinfo gives.
	frag = e.qrLogin("lan")
	if frag.Get("is_new") != "true" {
		t.Fatalf("lan: %v", frag)
	}
	me := e.do("GET", "/t/acme/me", "", bearer(frag.Get("session"))...)
	if me.Status != 200 || me.str("user", "nickname") != "小兰" {
		t.Fatalf("lan's profile: %d %s", me.Status, me.Raw)
	}
}

func TestWebsiteQRRefusals(t *testing.T) {
	e := withOpenApps(t)
	start := func(q string) func() (int, string, string) {
		return func() (int, string, string) {
			res, body := e.hop("/t/acme/oauth/wechat/start?" + q)
			return res.StatusCode, body, res.Header.Get("Location")
		}
	}
	page := url.QueryEscape(h5Page)
	rows := []struct {
		name   string
		run    func() (int, string, string)
		status int
		want   string // in the body (an error code) or the Location
	}{
		{"redirect URI off the list", start("redirect_uri=" + url.QueryEscape("https://evil.example/done") + "&scope=snsapi_login"), 400, "invalid_redirect_uri"},
		{"redirect URI beside the list", start("redirect_uri=" + url.QueryEscape(h5Page+".evil.example") + "&scope=snsapi_login"), 400, "invalid_redirect_uri"},
		{"no redirect URI", start("scope=snsapi_login"), 400, "invalid_redirect_uri"},
		{"appid of the mobile app", start("redirect_uri=" + page + "&scope=snsapi_login&appid=" + mobileAppID), 400, "invalid_request"},
		{"appid of the mini-program", start("redirect_uri=" + page + "&scope=snsapi_login&appid=" + demoAppID), 400, "invalid_request"},
		{"the website's appid for official-account OAuth", start("redirect_uri=" + page + "&scope=snsapi_userinfo&appid=" + websiteAppID), 400, "invalid_request"},
		{"unknown scope", start("redirect_uri=" + page + "&scope=snsapi_privateinfo"), 400, "invalid_request"},
		{"the person declines", func() (int, string, string) {
			qr, cookie := e.qrStart(h5Page)
			res, body := e.hop(e.qrScan(qr, "shy", "mock_deny", "1"), "Cookie", "miniauth_oauth_state="+cookie)
			return res.StatusCode, body, res.Header.Get("Location")
		}, 302, "error=access_denied"},
		{"a callback in another browser", func() (int, string, string) {
			qr, _ := e.qrStart(h5Page)
			res, body := e.hop(e.qrScan(qr, "someone"), "Cookie", "miniauth_oauth_state=not-this-browser")
			return res.StatusCode, body, res.Header.Get("Location")
		}, 400, "invalid_state"},
		{"a callback replayed", func() (int, string, string) {
			qr, cookie := e.qrStart(h5Page)
			cb := e.qrScan(qr, "twice")
			e.finish(cb, cookie)
			res, body := e.hop(cb, "Cookie", "miniauth_oauth_state="+cookie)
			return res.StatusCode, body, res.Header.Get("Location")
		}, 400, "invalid_state"},
		{"WeChat rejects the website's AppSecret", func() (int, string, string) {
			qr, cookie := e.qrStart(h5Page)
			cb := e.qrScan(qr, "late")
			e.wx.AddWebsite(websiteAppID, "rotated-on-wechat-side-000", acmeOpen, "")
			defer e.wx.AddWebsite(websiteAppID, websiteSecret, acmeOpen, "")
			res, body := e.hop(cb, "Cookie", "miniauth_oauth_state="+cookie)
			return res.StatusCode, body, res.Header.Get("Location")
		}, 302, "error=tenant_misconfigured"},
	}
	for _, sc := range rows {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			before := e.state()
			status, body, loc := sc.run()
			if status != sc.status || !strings.Contains(body+loc, sc.want) {
				t.Fatalf("%d %s (Location %s), want %d with %s", status, body, loc, sc.status, sc.want)
			}
			if loc != "" && status == 302 && !strings.HasPrefix(loc, h5Page) {
				t.Fatalf("sent to %s, not the tenant's page", loc)
			}
			// Only "a callback replayed" signs someone in (its first callback).
			if after := e.state(); after.users-before.users > 1 || (sc.name != "a callback replayed" && after != before) {
				t.Fatalf("changed %+v → %+v", before, after)
			}
		})
	}
	e.t = t

	// The simulator plays WeChat's own check of the callback domain: a
	// website whose domain is not the API's never redirects back.
	e.wx.SetOAuthDomains(websiteAppID, "www.acme.example")
	qr, _ := e.qrStart(h5Page)
	q := qr.Query()
	q.Set("mock_user", "hong")
	qr.RawQuery, qr.Fragment = q.Encode(), ""
	if res, body := e.hop(qr.String()); res.StatusCode == http.StatusFound || !strings.Contains(body, "该链接无法访问") {
		t.Fatalf("qrconnect off the callback domain: %d %s", res.StatusCode, body)
	}
}
