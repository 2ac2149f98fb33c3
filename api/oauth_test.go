package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

const (
	oaAppID  = "wxacmeoa000001"
	oaSecret = "acme-official-account-secret"
	h5Page   = "https://h5.acme.example/done"
)

// withOfficialAccount gives acme an official account bound, like its
// mini-program, to one open platform, and allow-lists its H5 page.
func withOfficialAccount(t *testing.T) *env {
	e := newEnv(t)
	ctx := context.Background()
	e.wx.AddApp(demoAppID, demoSecret, "acme-open")
	e.wx.AddOfficialAccount(oaAppID, oaSecret, "acme-open", "")
	if err := e.reg.AddOfficialAccount(ctx, e.tenant.ID, tenants.NewApp{AppID: oaAppID, Secret: oaSecret, Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	e.settings(func(s *tenants.Settings) {
		s.RedirectURIs = []string{h5Page}
		s.AllowedOrigins = []string{"https://h5.acme.example"}
	})
	remember(oaSecret, "AppSecret")
	return e
}

// oauthFlow carries one web sign-in through the rows of a story: the
// WeChat page start sends the browser to, the state cookie it sets, and
// the callback WeChat sends the browser back to. Each row keeps what the
// next one needs.
type oauthFlow struct {
	wx       *url.URL
	cookie   string
	callback string
}

// oauthSteps are the rows of an official-account sign-in of user up to
// WeChat sending the browser back: start, which must redirect to WeChat's
// authorize page for the official account with the state in a cookie only
// the callback gets, and WeChat's page (the simulator), where user
// consents. The callback's row is f.back.
func oauthSteps(e *env, scope, user string) (f *oauthFlow, steps []scenario) {
	f = &oauthFlow{}
	start := scenario{name: "start " + scope + " for " + user, method: "GET", raw: true, status: http.StatusFound,
		path: "/t/acme/oauth/wechat/start?redirect_uri=" + url.QueryEscape(h5Page) + "&scope=" + scope,
		check: func(t *testing.T, r response) {
			f.wx, f.cookie = r.locationURL(), r.cookie("miniauth_oauth_state")
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == "miniauth_oauth_state" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/t/acme/oauth/wechat") {
					t.Errorf("state cookie %+v", c)
				}
			}
			q := f.wx.Query()
			if q.Get("appid") != oaAppID || q.Get("scope") != scope || q.Get("state") != f.cookie || f.cookie == "" ||
				q.Get("redirect_uri") != e.base+"/t/acme/oauth/wechat/callback" || f.wx.Fragment != "wechat_redirect" {
				t.Fatalf("authorize URL %s (cookie %q)", f.wx, f.cookie)
			}
		}}
	return f, []scenario{start, f.wechat(user+" consents on WeChat's page", user)}
}

// wechat is the row of WeChat's page (the simulator) for the person
// mockUser, with extra query parameters of the simulator: it sends the
// browser to the callback, which f keeps.
func (f *oauthFlow) wechat(name string, mockUser string, extra ...string) scenario {
	return scenario{name: name, method: "GET", raw: true, status: http.StatusFound,
		pathFn: func(*env) string {
			q := f.wx.Query()
			q.Set("mock_user", mockUser)
			for i := 0; i+1 < len(extra); i += 2 {
				q.Set(extra[i], extra[i+1])
			}
			u := *f.wx
			u.RawQuery, u.Fragment = q.Encode(), ""
			return u.String()
		},
		check: func(t *testing.T, r response) { f.callback = r.locationURL().String() }}
}

// back is the row of the callback WeChat sends the browser to, with the
// state cookie unless sc has its own header; sc says what it must do. A
// redirect must go to the tenant's page unless sc says where.
func (f *oauthFlow) back(sc scenario) scenario {
	sc.method = "GET"
	if sc.pathFn == nil {
		sc.pathFn = func(*env) string { return f.callback }
	}
	if sc.header == nil && sc.headerFn == nil {
		sc.headerFn = func(*env) []string { return []string{"Cookie", "miniauth_oauth_state=" + f.cookie} }
	}
	if sc.name == "" {
		sc.name = "callback"
	}
	if sc.status == 0 {
		sc.status = http.StatusFound
	}
	if sc.status == http.StatusFound && sc.location == "" {
		sc.location = h5Page
	}
	sc.raw = sc.status < 400
	return sc
}

// oauthFragment is what the tenant's page gets in the fragment of r's redirect;
// the test fails where there is a query instead.
func oauthFragment(t *testing.T, r response) url.Values {
	t.Helper()
	u := r.locationURL()
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil || u.RawQuery != "" {
		t.Fatalf("back at %s", u)
	}
	if s := frag.Get("session"); s != "" {
		remember(s, "session token")
	}
	return frag
}

// finish calls the callback and returns where the browser is sent.
func (e *env) finish(callback, cookie string) *url.URL {
	e.t.Helper()
	res, body := e.hop(callback, "Cookie", "miniauth_oauth_state="+cookie)
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	u := location(e.t, res)
	if !strings.HasPrefix(u.String(), h5Page) {
		e.t.Fatalf("sent to %s, not the tenant's page", u)
	}
	return u
}

func TestWebOAuth(t *testing.T) {
	e := withOfficialAccount(t)
	mp := e.loginBody(`{"code":"` + e.code("hong") + `"}`) // the mini-program knows hong already
	e.wx.SetPerson("hong", "", "", "小红", "https://thirdwx.qlogo.cn/hong/132")
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")

	var session, mpLan string
	hong, steps := oauthSteps(e, "snsapi_userinfo", "hong")
	steps = append(steps,
		hong.back(scenario{name: "hong is back with the mini-program's user, joined by unionid", delta: state{0, 1, 1},
			check: func(t *testing.T, r response) {
				frag := oauthFragment(t, r)
				session = frag.Get("session")
				if session == "" || frag.Get("token_type") != "Bearer" ||
					frag.Get("user_id") != mp.str("user", "id") || frag.Get("is_new") != "false" {
					t.Fatalf("back at %s; want the mini-program's user, joined by unionid", r.locationURL())
				}
			}}),
		scenario{name: "the H5 page's call", method: "GET", path: "/t/acme/me", status: 200,
			headerFn: func(*env) []string { return append(bearer(session), "Origin", "https://h5.acme.example") },
			check: func(t *testing.T, r response) {
				if r.Header.Get("Access-Control-Allow-Origin") != "https://h5.acme.example" {
					t.Fatalf("the H5 page's call: %v %s", r.Header, r.Raw)
				}
			}},
		// An official account cannot take a wx.login code; backends may
		// read its access token like a mini-program's.
		scenario{name: "login with the official account's appid", path: "/t/acme/login", status: 400, code: "invalid_request",
			bodyFn: func(e *env) string { return `{"code":"` + e.code("hong") + `","appid":"` + oaAppID + `"}` }},
		scenario{name: "the official account's access token", method: "GET", path: "/t/acme/wechat/access-token?appid=" + oaAppID,
			header: bearer(key), status: 200,
			check: func(t *testing.T, r response) {
				if r.str("appid") != oaAppID {
					t.Fatalf("official account's token: %s", r.Raw)
				}
			}},
	)
	// A new person through snsapi_base: no unionid, no profile, a new user.
	lan, more := oauthSteps(e, "snsapi_base", "lan")
	steps = append(append(steps, more...),
		lan.back(scenario{name: "lan is a newcomer with no unionid", delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				if frag := oauthFragment(t, r); frag.Get("is_new") != "true" || e.count("SELECT COUNT(*) FROM users WHERE unionid IS NULL") != 1 {
					t.Fatalf("snsapi_base newcomer: %s", r.locationURL())
				}
			}}),
		// The same person consents to snsapi_userinfo after using the
		// mini-program: the unionid shows up and the two users merge.
		scenario{name: "lan uses the mini-program", path: "/t/acme/login", status: 200, delta: state{1, 1, 1},
			bodyFn: func(e *env) string { return `{"code":"` + e.code("lan") + `"}` },
			check:  func(t *testing.T, r response) { mpLan = r.str("user", "id") }},
	)
	lan2, more := oauthSteps(e, "snsapi_userinfo", "lan")
	steps = append(append(steps, more...),
		lan2.back(scenario{name: "lan's consent merges the two users", delta: state{-1, 0, 1}, audit: []string{"user.merged"},
			check: func(t *testing.T, r response) {
				if frag := oauthFragment(t, r); frag.Get("session") == "" {
					t.Fatalf("no session after the merge (mini-program user %s): %s", mpLan, r.locationURL())
				}
			}}),
	)
	runStory(t, e, scenario{}, steps)
}

func TestWebOAuthRefusals(t *testing.T) {
	e := withOfficialAccount(t)
	used, steps := oauthSteps(e, "snsapi_base", "used")
	runStory(t, e, scenario{}, append(steps, used.back(scenario{name: "a first sign-in", delta: state{1, 1, 1}})))

	start := func(name, q, code string) scenario {
		return scenario{name: name, method: "GET", path: "/t/acme/oauth/wechat/start?" + q, status: 400, code: code}
	}
	runScenarios(t, e, scenario{}, []scenario{
		start("redirect_uri not allow-listed", "redirect_uri="+url.QueryEscape("https://evil.example/done"), "invalid_redirect_uri"),
		start("redirect_uri with userinfo", "redirect_uri="+url.QueryEscape("https://h5.acme.example@evil.example/done"), "invalid_redirect_uri"),
		start("redirect_uri on another path", "redirect_uri="+url.QueryEscape("https://h5.acme.example/done/../../evil"), "invalid_redirect_uri"),
		start("redirect_uri over http", "redirect_uri="+url.QueryEscape("http://h5.acme.example/done"), "invalid_redirect_uri"),
		start("no redirect_uri", "", "invalid_redirect_uri"),
		start("unknown scope", "scope=snsapi_login&redirect_uri="+url.QueryEscape(h5Page), "invalid_request"),
		start("a mini-program's appid", "appid="+demoAppID+"&redirect_uri="+url.QueryEscape(h5Page), "invalid_request"),
	})

	// Each callback refusal is a sign-in of its own up to the callback.
	cookie := func(c string) []string { return []string{"Cookie", "miniauth_oauth_state=" + c} }
	query := func(f *oauthFlow, change func(q url.Values)) func(*env) string {
		return func(e *env) string {
			u, err := url.Parse(f.callback)
			if err != nil {
				e.t.Fatal(err)
			}
			q := u.Query()
			change(q)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	for _, c := range []struct {
		name string
		rows func(f *oauthFlow) []scenario
	}{
		{"no state cookie", func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{header: cookie(""), status: 400, code: "invalid_state"})}
		}},
		{"another browser's state", func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{header: cookie(used.cookie), status: 400, code: "invalid_state"})}
		}},
		{"state used twice", func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{name: "the first callback", delta: state{1, 1, 1}}),
				f.back(scenario{name: "the same callback again", status: 400, code: "invalid_state"})}
		}},
		{"user refused", func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{pathFn: query(f, func(q url.Values) { q.Del("code") }),
				location: h5Page + "?error=access_denied"})}
		}},
		{"code already used (40163)", func(f *oauthFlow) []scenario {
			return []scenario{f.back(scenario{pathFn: query(f, func(q url.Values) {
				u, _ := url.Parse(used.callback)
				q.Set("code", u.Query().Get("code"))
			}), location: h5Page + "?error=invalid_code"})}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, steps := oauthSteps(e, "snsapi_base", "someone")
			runStory(t, e, scenario{}, append(steps, c.rows(f)...))
		})
	}
	e.t = t
}

func TestWebOAuthUnderSignup(t *testing.T) {
	e := withOfficialAccount(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	var ticket string
	f, steps := oauthSteps(e, "snsapi_userinfo", "newbie")
	runStory(t, e, scenario{}, append(steps,
		f.back(scenario{name: "an unknown web user gets a signup ticket",
			check: func(t *testing.T, r response) {
				frag := oauthFragment(t, r)
				ticket = frag.Get("signup_ticket")
				remember(ticket, "signup ticket")
				if frag.Get("registered") != "false" || ticket == "" || frag.Get("session") != "" {
					t.Fatalf("unknown web user under signup: %s", r.locationURL())
				}
			}}),
		scenario{name: "phone_code with an H5 ticket", path: "/t/acme/register", status: 400,
			bodyFn: func(e *env) string {
				return `{"signup_ticket":"` + ticket + `","phone_code":"` + e.phoneCode(demoAppID, "newbie") + `"}`
			}},
		scenario{name: "register from the H5 page", path: "/t/acme/register", header: []string{"Origin", "https://h5.acme.example"},
			bodyFn: func(*env) string { return `{"signup_ticket":"` + ticket + `","nickname":"新手"}` },
			status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) {
				if r.str("session") == "" || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatalf("register from the H5 page: %v %s", r.Header, r.Raw)
				}
			}},
	))
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	e.settings(func(s *tenants.Settings) {
		s.AllowedOrigins = []string{"https://h5.acme.example", "http://localhost:5173"}
	})
	token := e.login("alice")
	var rows []scenario
	for _, tt := range []struct {
		name, origin string
		allowed      bool
	}{
		{"allowed origin", "https://h5.acme.example", true},
		{"allowed dev origin", "http://localhost:5173", true},
		{"upper-case host", "https://H5.ACME.EXAMPLE", true},
		{"other origin", "https://evil.example", false},
		{"suffix trick", "https://h5.acme.example.evil.example", false},
		{"scheme differs", "http://h5.acme.example", false},
		{"port differs", "https://h5.acme.example:8443", false},
		{"null origin", "null", false},
	} {
		preflight := scenario{name: tt.name + ": preflight", method: "OPTIONS", raw: true, status: 404,
			header: []string{"Origin", tt.origin, "Access-Control-Request-Method", "PATCH",
				"Access-Control-Request-Headers", "authorization, content-type"},
			check: func(t *testing.T, r response) {
				if strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PATCH") {
					t.Fatalf("preflight of %q allowed: %v", tt.origin, r.Header)
				}
			}}
		if tt.allowed {
			preflight.status = 204
			preflight.check = func(t *testing.T, r response) {
				if !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PATCH") {
					t.Fatalf("preflight: %v", r.Header)
				}
			}
		}
		rows = append(rows, scenario{name: tt.name, header: append(bearer(token), "Origin", tt.origin), status: 200,
			check: func(t *testing.T, r response) {
				got := r.Header.Get("Access-Control-Allow-Origin")
				if tt.allowed != (got == tt.origin) || (got != "" && got != tt.origin) {
					t.Fatalf("Allow-Origin %q for %q", got, tt.origin)
				}
				if tt.allowed && r.Header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Fatal("credentials not allowed")
				}
				if !strings.Contains(r.Header.Get("Vary"), "Origin") {
					t.Fatal("no Vary: Origin")
				}
			}}, preflight)
	}
	rows = append(rows, scenario{name: "no Origin (a mini-program)", header: bearer(token), status: 200,
		check: func(t *testing.T, r response) {
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatal("CORS headers without an Origin (a mini-program)")
			}
		}})
	runScenarios(t, e, scenario{method: "GET", path: "/t/acme/me"}, rows)
}
