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

// qrSteps are the rows of a website QR login of user up to WeChat sending
// the browser back: start, which must redirect to qrconnect for the
// website with the state in a cookie, and the qrconnect page (the
// simulator), where user scans and confirms (with extra query parameters
// of the simulator). The callback's row is f.back.
func qrSteps(e *env, user string, extra ...string) (f *oauthFlow, steps []scenario) {
	f = &oauthFlow{}
	start := scenario{name: "start for " + user, method: "GET", raw: true, status: http.StatusFound,
		path: "/t/acme/oauth/wechat/start?redirect_uri=" + url.QueryEscape(h5Page) + "&scope=snsapi_login",
		check: func(t *testing.T, r response) {
			qr, cookie := r.locationURL(), r.cookie("miniauth_oauth_state")
			q := qr.Query()
			if qr.Path != "/connect/qrconnect" || q.Get("appid") != websiteAppID || q.Get("scope") != "snsapi_login" ||
				q.Get("response_type") != "code" || cookie == "" || q.Get("state") != cookie ||
				q.Get("redirect_uri") != e.base+"/t/acme/oauth/wechat/callback" || qr.Fragment != "wechat_redirect" {
				t.Fatalf("qrconnect URL %s (cookie %q)", qr, cookie)
			}
			f.wx, f.cookie = qr, cookie
		}}
	return f, []scenario{start, f.wechat(user+" scans and confirms", user, extra...)}
}

func TestWebsiteQRLogin(t *testing.T) {
	e := withOpenApps(t)
	mp := e.loginBody(`{"code":"`+e.code("hong")+`"}`).str("user", "id")
	e.wx.SetPerson("lan", "", "", "小兰", "https://thirdwx.qlogo.cn/lan/132")

	var session, lanSession string
	hong, steps := qrSteps(e, "hong")
	steps = append(steps,
		hong.back(scenario{name: "hong's first QR login: one identity and one session", delta: state{0, 1, 1},
			check: func(t *testing.T, r response) {
				frag := oauthFragment(t, r)
				session = frag.Get("session")
				if session == "" || frag.Get("token_type") != "Bearer" || frag.Get("user_id") != mp || frag.Get("is_new") != "false" {
					t.Fatalf("hong on the website: %v; want the mini-program's user %s, joined by unionid", frag, mp)
				}
				if n := e.count(`SELECT COUNT(*) FROM identities i JOIN apps a ON a.id = i.app_id WHERE a.kind = 'website'`); n != 1 {
					t.Fatalf("%d website identities, want 1", n)
				}
			}}),
		scenario{name: "the website's session", method: "GET", path: "/t/acme/me", status: 200,
			headerFn: func(*env) []string { return bearer(session) },
			check: func(t *testing.T, r response) {
				if r.str("user", "id") != mp {
					t.Fatalf("the website's session: %s", r.Raw)
				}
			}},
	)
	// hong again: the same identity, a new session.
	again, more := qrSteps(e, "hong")
	steps = append(append(steps, more...), again.back(scenario{name: "hong again", delta: state{0, 0, 1},
		check: func(t *testing.T, r response) {
			if frag := oauthFragment(t, r); frag.Get("user_id") != mp || frag.Get("session") == session {
				t.Fatalf("hong again: %v", frag)
			}
		}}))
	// A newcomer: a new user, with the profile sns/userinfo gives.
	lan, more := qrSteps(e, "lan")
	steps = append(append(steps, more...),
		lan.back(scenario{name: "lan is new", delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				frag := oauthFragment(t, r)
				if lanSession = frag.Get("session"); frag.Get("is_new") != "true" {
					t.Fatalf("lan: %v", frag)
				}
			}}),
		scenario{name: "lan's profile", method: "GET", path: "/t/acme/me", status: 200,
			headerFn: func(*env) []string { return bearer(lanSession) },
			check: func(t *testing.T, r response) {
				if r.str("user", "nickname") != "小兰" {
					t.Fatalf("lan's profile: %s", r.Raw)
				}
			}},
	)
	runStory(t, e, scenario{}, steps)
}

func TestWebsiteQRRefusals(t *testing.T) {
	e := withOpenApps(t)
	start := func(name, q, code string) scenario {
		return scenario{name: name, method: "GET", path: "/t/acme/oauth/wechat/start?" + q, status: 400, code: code}
	}
	page := url.QueryEscape(h5Page)
	runScenarios(t, e, scenario{}, []scenario{
		start("redirect URI off the list", "redirect_uri="+url.QueryEscape("https://evil.example/done")+"&scope=snsapi_login", "invalid_redirect_uri"),
		start("redirect URI beside the list", "redirect_uri="+url.QueryEscape(h5Page+".evil.example")+"&scope=snsapi_login", "invalid_redirect_uri"),
		start("no redirect URI", "scope=snsapi_login", "invalid_redirect_uri"),
		start("appid of the mobile app", "redirect_uri="+page+"&scope=snsapi_login&appid="+mobileAppID, "invalid_request"),
		start("appid of the mini-program", "redirect_uri="+page+"&scope=snsapi_login&appid="+demoAppID, "invalid_request"),
		start("the website's appid for official-account OAuth", "redirect_uri="+page+"&scope=snsapi_userinfo&appid="+websiteAppID, "invalid_request"),
		start("unknown scope", "redirect_uri="+page+"&scope=snsapi_privateinfo", "invalid_request"),
	})

	// Each callback refusal is a QR login of its own up to the callback;
	// nothing is signed in (the rows' deltas are zero) but the first
	// callback of "a callback replayed".
	inPage := func(want string) func(*testing.T, response) {
		return func(t *testing.T, r response) {
			if !strings.Contains(r.Header.Get("Location"), want) {
				t.Fatalf("sent to %s, want %s", r.Header.Get("Location"), want)
			}
		}
	}
	for _, c := range []struct {
		name  string
		extra []string // the simulator's
		rows  func(f *oauthFlow) []scenario
	}{
		{"the person declines", []string{"mock_deny", "1"}, func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{check: inPage("error=access_denied")})}
		}},
		{"a callback in another browser", nil, func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{header: []string{"Cookie", "miniauth_oauth_state=not-this-browser"}, status: 400, code: "invalid_state"})}
		}},
		{"a callback replayed", nil, func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{name: "the first callback", delta: state{1, 1, 1}}),
				f.back(scenario{name: "the same callback again", status: 400, code: "invalid_state"})}
		}},
		{"WeChat rejects the website's AppSecret", nil, func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{check: inPage("error=tenant_misconfigured"),
				before:  func(e *env) { e.wx.AddWebsite(websiteAppID, "rotated-on-wechat-side-000", acmeOpen, "") },
				cleanup: func(e *env) { e.wx.AddWebsite(websiteAppID, websiteSecret, acmeOpen, "") }})}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, steps := qrSteps(e, "someone", c.extra...)
			runStory(t, e, scenario{}, append(steps, c.rows(f)...))
		})
	}
	e.t = t

	// The simulator plays WeChat's own check of the callback domain: a
	// website whose domain is not the API's never redirects back.
	e.wx.SetOAuthDomains(websiteAppID, "www.acme.example")
	_, steps := qrSteps(e, "hong")
	steps[1].status, steps[1].check = http.StatusOK, func(t *testing.T, r response) {
		if !strings.Contains(r.Raw, "该链接无法访问") {
			t.Fatalf("qrconnect off the callback domain: %d %s", r.Status, r.Raw)
		}
	}
	steps[1].name = "qrconnect off the callback domain"
	runStory(t, e, scenario{}, steps)
}
