package wechattest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"time"
)

// oauthGrant is an OAuth code or access token of an official account, a
// mobile application or a website application.
type oauthGrant struct {
	appid, user, scope string
	issued, expires    time.Time // a code's expires is issued + its kind's TTL
	used               bool
	snapshot           bool // the user came through the snapshot page (flags.go)
}

// AddOfficialAccount registers an official account for web OAuth (docs/wechat.md).
// domain is its web-auth domain ("网页授权域名"): redirect URIs on another
// host are refused with 10003; "" accepts loopback hosts only (more with
// SetOAuthDomains).
func (s *Server) AddOfficialAccount(appid, secret, openPlatformID, domain string) {
	s.mu.Lock()
	s.apps[appid] = app{secret: secret, openPlatform: openPlatformID, kind: kindOfficialAccount}
	s.mu.Unlock()
	if domain != "" {
		s.SetOAuthDomains(appid, domain)
	}
}

// authorize plays WeChat's authorize page (open.weixin.qq.com
// /connect/oauth2/authorize) for a user who consents at once: it redirects
// straight back with a code. The simulated user is the query parameter
// mock_user, else the cookie wxmock_user, else "h5-user"; mock_deny=1
// plays a refusal (a redirect with the state only); mock_snapshot=1, like
// the user's Snapshot flag, opens snsapi_userinfo as a snapshot page
// (docs/wechat.md, snapshot users). Errors are an HTML page
// with WeChat's authorize-page code, as WeChat shows them to the user.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, redirect, scope := q.Get("appid"), q.Get("redirect_uri"), q.Get("scope")
	s.mu.Lock()
	a, known := s.apps[appid]
	s.mu.Unlock()
	target, err := url.Parse(redirect)
	switch {
	case appid == "":
		authorizeError(w, 10012, "appid 参数为空")
		return
	case !known || a.kind != kindOfficialAccount:
		authorizeError(w, 10016, "不支持的 appid")
		return
	case redirect == "":
		authorizeError(w, 10011, "redirect_uri 参数为空")
		return
	case err != nil || target.Host == "" || !a.allowsRedirect(target):
		authorizeError(w, 10003, "redirect_uri 域名与后台配置不一致")
		return
	case scope == "":
		authorizeError(w, 10010, "scope 参数为空")
		return
	case scope != "snsapi_base" && scope != "snsapi_userinfo":
		authorizeError(w, 10005, "此公众号并没有这些 scope 的权限")
		return
	}
	back := target.Query()
	back.Set("state", q.Get("state"))
	if q.Get("mock_deny") != "1" {
		user := browserUser(r)
		code := newCode()
		s.mu.Lock()
		now := s.now()
		s.sweepLocked(now)
		snapshot := scope == "snsapi_userinfo" && (q.Get("mock_snapshot") == "1" || s.flags[user].Snapshot)
		s.oauthCodes[code] = oauthGrant{appid: appid, user: user, scope: scope, issued: now, expires: now.Add(s.codeTTL), snapshot: snapshot}
		s.mu.Unlock()
		back.Set("code", code)
	}
	target.RawQuery = back.Encode()
	target.Fragment = ""
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// browserUser is the simulated user in front of a browser page: the query
// parameter mock_user, else the cookie wxmock_user, else "h5-user".
func browserUser(r *http.Request) string {
	user := r.URL.Query().Get("mock_user")
	if c, err := r.Cookie("wxmock_user"); user == "" && err == nil {
		user = c.Value
	}
	if user == "" {
		user = "h5-user"
	}
	return user
}

func authorizeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><body><h2>Oops! Something went wrong:(</h2><p>%d %s</p></body></html>\n", code, html.EscapeString(msg))
}

// oauthAccessToken answers GET sns/oauth2/access_token (wechat-api.md
// §6.2, wechat-open-api.md §1.3, §2.3) for the codes of every kind: a code
// is good only with the AppID it was issued for.
func (s *Server) oauthAccessToken(r *http.Request) outcome {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, code := s.checkAppLocked(q.Get("appid"), q.Get("secret"))
	switch {
	case code != 0:
		return fail(code)
	case q.Get("code") == "":
		return fail(codeNoCode)
	case q.Get("grant_type") != "authorization_code":
		return fail(codeInvalidGrant)
	}
	now := s.now()
	g, ok := s.oauthCodes[q.Get("code")]
	switch {
	case !ok || g.appid != q.Get("appid") || !now.Before(g.expires):
		return fail(codeInvalidCode)
	case g.used:
		return fail(codeCodeUsed)
	}
	g.used = true
	s.oauthCodes[q.Get("code")] = g
	if g.snapshot {
		return succeed(s.snapshotAnswer(g.appid, g.user, g.scope))
	}
	tok := newAccessToken()
	s.oauthTokens[tok] = oauthGrant{appid: g.appid, user: g.user, scope: g.scope, issued: now, expires: now.Add(tokenLifetime)}
	body := map[string]any{"access_token": tok, "expires_in": int(tokenLifetime / time.Second),
		"refresh_token": newAccessToken(), "openid": s.OpenID(g.appid, g.user), "scope": g.scope}
	if a.openPlatform != "" && g.scope != "snsapi_base" {
		body["unionid"] = s.UnionID(a.openPlatform, g.user)
	}
	return succeed(body)
}

// oauthUserInfo answers GET sns/userinfo, the profile an snsapi_userinfo
// authorization gives.
func (s *Server) oauthUserInfo(r *http.Request) outcome {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, openid := q.Get("access_token"), q.Get("openid")
	g, ok := s.oauthTokens[tok]
	switch {
	case tok == "":
		return fail(codeNoToken)
	case !ok:
		return fail(codeBadToken)
	case !s.now().Before(g.expires):
		return fail(codeTokenExpired)
	case openid == "":
		return fail(codeNoOpenID)
	case openid != s.OpenID(g.appid, g.user):
		return fail(codeBadOpenID)
	case g.scope != "snsapi_userinfo" && g.scope != scopeLogin:
		return fail(codeUnauthorized)
	}
	p := s.personLocked(g.user)
	// Since 2021-10-20 sex and region are no longer returned.
	body := map[string]any{"openid": openid, "nickname": p.nickname, "sex": 0, "province": "", "city": "",
		"country": "", "headimgurl": p.avatar, "privilege": []string{}}
	if a := s.apps[g.appid]; a.openPlatform != "" {
		body["unionid"] = s.UnionID(a.openPlatform, g.user)
	}
	return succeed(body)
}
