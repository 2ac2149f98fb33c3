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

// authorize runs start and WeChat's page for user; it returns the callback
// URL and the state cookie.
func (e *env) authorize(scope, user string) (callback, cookie string) {
	e.t.Helper()
	res, _ := e.hop("/t/acme/oauth/wechat/start?redirect_uri=" + url.QueryEscape(h5Page) + "&scope=" + scope)
	wx := location(e.t, res)
	for _, c := range res.Cookies() {
		if c.Name == "miniauth_oauth_state" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/t/acme/oauth/wechat" {
				e.t.Errorf("state cookie %+v", c)
			}
		}
	}
	q := wx.Query()
	if q.Get("appid") != oaAppID || q.Get("scope") != scope || q.Get("state") != cookie || cookie == "" ||
		q.Get("redirect_uri") != e.base+"/t/acme/oauth/wechat/callback" || wx.Fragment != "wechat_redirect" {
		e.t.Fatalf("authorize URL %s (cookie %q)", wx, cookie)
	}
	q.Set("mock_user", user)
	wx.RawQuery, wx.Fragment = q.Encode(), ""
	res, _ = e.hop(wx.String())
	return location(e.t, res).String(), cookie
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

	back := e.finish(e.authorize("snsapi_userinfo", "hong"))
	frag, _ := url.ParseQuery(back.Fragment)
	session := frag.Get("session")
	remember(session, "session token")
	if back.RawQuery != "" || session == "" || frag.Get("token_type") != "Bearer" ||
		frag.Get("user_id") != mp.obj("user")["id"] || frag.Get("is_new") != "false" {
		t.Fatalf("back at %s; want the mini-program's user, joined by unionid", back)
	}
	me := e.do("GET", "/t/acme/me", "", append(bearer(session), "Origin", "https://h5.acme.example")...)
	if me.Status != 200 || me.Header.Get("Access-Control-Allow-Origin") != "https://h5.acme.example" {
		t.Fatalf("the H5 page's call: %d %v %s", me.Status, me.Header, me.Raw)
	}

	// An official account cannot take a wx.login code; backends may read
	// its access token like a mini-program's.
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("hong")+`","appid":"`+oaAppID+`"}`); r.Status != 400 {
		t.Fatalf("login with the official account's appid: %d %s", r.Status, r.Raw)
	}
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	if r := e.do("GET", "/t/acme/wechat/access-token?appid="+oaAppID, "", bearer(key)...); r.Status != 200 || r.Body["appid"] != oaAppID {
		t.Fatalf("official account's token: %d %s", r.Status, r.Raw)
	}

	// A new person through snsapi_base: no unionid, no profile, a new user.
	back = e.finish(e.authorize("snsapi_base", "lan"))
	frag, _ = url.ParseQuery(back.Fragment)
	remember(frag.Get("session"), "session token")
	if frag.Get("is_new") != "true" || e.count("SELECT COUNT(*) FROM users WHERE unionid IS NULL") != 1 {
		t.Fatalf("snsapi_base newcomer: %s", back)
	}
	// The same person consents to snsapi_userinfo after using the
	// mini-program: the unionid shows up and the two users merge.
	mpLan := e.loginBody(`{"code":"` + e.code("lan") + `"}`)
	back = e.finish(e.authorize("snsapi_userinfo", "lan"))
	frag, _ = url.ParseQuery(back.Fragment)
	remember(frag.Get("session"), "session token")
	if e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged'") != 1 {
		t.Fatalf("no merge recorded; mini-program user %s, web user %s", mpLan.Body["user"], frag.Get("user_id"))
	}
}

func TestWebOAuthRefusals(t *testing.T) {
	e := withOfficialAccount(t)
	used, usedCookie := e.authorize("snsapi_base", "used")
	e.finish(used, usedCookie)

	start := func(q string) func() (int, string, string) {
		return func() (int, string, string) {
			res, body := e.hop("/t/acme/oauth/wechat/start?" + q)
			return res.StatusCode, body, res.Header.Get("Location")
		}
	}
	callback := func(mutate func(cb *url.URL, cookie string) (string, string)) func() (int, string, string) {
		return func() (int, string, string) {
			cb, cookie := e.authorize("snsapi_base", "someone")
			u, _ := url.Parse(cb)
			target, c := mutate(u, cookie)
			res, body := e.hop(target, "Cookie", "miniauth_oauth_state="+c)
			return res.StatusCode, body, res.Header.Get("Location")
		}
	}
	scenarios := []struct {
		name   string
		run    func() (int, string, string)
		status int
		want   string // in the body (errors) or the Location (redirects)
	}{
		{"redirect_uri not allow-listed", start("redirect_uri=" + url.QueryEscape("https://evil.example/done")), 400, "invalid_redirect_uri"},
		{"redirect_uri with userinfo", start("redirect_uri=" + url.QueryEscape("https://h5.acme.example@evil.example/done")), 400, "invalid_redirect_uri"},
		{"redirect_uri on another path", start("redirect_uri=" + url.QueryEscape("https://h5.acme.example/done/../../evil")), 400, "invalid_redirect_uri"},
		{"redirect_uri over http", start("redirect_uri=" + url.QueryEscape("http://h5.acme.example/done")), 400, "invalid_redirect_uri"},
		{"no redirect_uri", start(""), 400, "invalid_redirect_uri"},
		{"unknown scope", start("scope=snsapi_login&redirect_uri=" + url.QueryEscape(h5Page)), 400, "invalid_request"},
		{"a mini-program's appid", start("appid=" + demoAppID + "&redirect_uri=" + url.QueryEscape(h5Page)), 400, "invalid_request"},
		{"no state cookie", callback(func(cb *url.URL, _ string) (string, string) { return cb.String(), "" }), 400, "invalid_state"},
		{"another browser's state", callback(func(cb *url.URL, _ string) (string, string) { return cb.String(), usedCookie }), 400, "invalid_state"},
		{"state used twice", callback(func(cb *url.URL, c string) (string, string) {
			e.finish(cb.String(), c)
			return cb.String(), c
		}), 400, "invalid_state"},
		{"user refused", callback(func(cb *url.URL, c string) (string, string) {
			q := cb.Query()
			q.Del("code")
			cb.RawQuery = q.Encode()
			return cb.String(), c
		}), 302, h5Page + "?error=access_denied"},
		{"code already used (40163)", callback(func(cb *url.URL, c string) (string, string) {
			usedURL, _ := url.Parse(used)
			q := cb.Query()
			q.Set("code", usedURL.Query().Get("code"))
			cb.RawQuery = q.Encode()
			return cb.String(), c
		}), 302, h5Page + "?error=invalid_code"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			before := e.state()
			status, body, loc := sc.run()
			if status != sc.status || !strings.Contains(body+loc, sc.want) {
				t.Fatalf("%d %s %s, want %d with %q", status, body, loc, sc.status, sc.want)
			}
			if sc.status != 302 && !strings.Contains(sc.name, "twice") {
				if after := e.state(); after != before {
					t.Fatalf("a refused request changed %+v → %+v", before, after)
				}
			}
		})
	}
}

func TestWebOAuthUnderSignup(t *testing.T) {
	e := withOfficialAccount(t)
	e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
	back := e.finish(e.authorize("snsapi_userinfo", "newbie"))
	frag, _ := url.ParseQuery(back.Fragment)
	ticket := frag.Get("signup_ticket")
	remember(ticket, "signup ticket")
	if frag.Get("registered") != "false" || ticket == "" || frag.Get("session") != "" {
		t.Fatalf("unknown web user under signup: %s", back)
	}
	if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","phone_code":"`+e.phoneCode(demoAppID, "newbie")+`"}`); r.Status != 400 {
		t.Fatalf("phone_code with an H5 ticket: %d %s", r.Status, r.Raw)
	}
	r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","nickname":"新手"}`, "Origin", "https://h5.acme.example")
	if r.Status != 200 || r.Body["session"] == nil || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("register from the H5 page: %d %v %s", r.Status, r.Header, r.Raw)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	e.settings(func(s *tenants.Settings) {
		s.AllowedOrigins = []string{"https://h5.acme.example", "http://localhost:5173"}
	})
	token := e.login("alice")
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", e.base+"/t/acme/me", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PATCH")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	tests := []struct {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/t/acme/me", "", append(bearer(token), "Origin", tt.origin)...)
			got := r.Header.Get("Access-Control-Allow-Origin")
			if tt.allowed != (got == tt.origin) || (got != "" && got != tt.origin) || r.Status != 200 {
				t.Fatalf("Allow-Origin %q for %q (status %d)", got, tt.origin, r.Status)
			}
			if tt.allowed && r.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Fatal("credentials not allowed")
			}
			if !strings.Contains(r.Header.Get("Vary"), "Origin") {
				t.Fatal("no Vary: Origin")
			}
			p := preflight(tt.origin)
			if tt.allowed != (p.StatusCode == 204) || tt.allowed != strings.Contains(p.Header.Get("Access-Control-Allow-Methods"), "PATCH") {
				t.Fatalf("preflight: %d %v", p.StatusCode, p.Header)
			}
		})
	}
	if r := e.do("GET", "/t/acme/me", "", bearer(token)...); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers without an Origin (a mini-program)")
	}
}
