package api

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/wechat"
)

// Web OAuth of official accounts, for H5 pages opened inside WeChat
// (docs/wechat.md, docs/registration.md).

const oauthCookie = "miniauth_oauth_state"

// oauthStart sends the browser to WeChat's authorize page, or for scope
// snsapi_login to the website application's QR login page (qrconnect)
// (GET /oauth/wechat/start?redirect_uri=…&scope=…&appid=…). The state is
// kept in Redis and in a cookie of this browser, so that a callback
// replayed in another browser is refused.
func (s *Server) oauthStart(c *fiber.Ctx) error {
	ctx, t := c.UserContext(), tenantOf(c)
	redirect, scope := strings.Clone(c.Query("redirect_uri")), strings.Clone(c.Query("scope", wechat.ScopeBase))
	if !t.Settings.AllowsRedirect(redirect) {
		return &Error{Status: 400, Code: CodeInvalidRedirectURI, Message: "redirect_uri is not on this tenant's list of redirect URIs"}
	}
	if scope != wechat.ScopeBase && scope != wechat.ScopeUserInfo && scope != wechat.ScopeLogin {
		return badRequest("scope must be snsapi_base or snsapi_userinfo (an official account's), or snsapi_login (a website's QR login)")
	}
	appid := strings.Clone(c.Query("appid"))
	if appid != "" && !tenants.ValidAppID(appid) {
		return badRequest("appid is malformed")
	}
	app, err := oauthApp(t, scope, appid)
	if err != nil {
		return err
	}
	state, err := s.deps.Signup.NewState(ctx, t.ID, signup.State{AppID: app.ID, Scope: scope, RedirectURI: redirect})
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Value: state, Path: s.oauthPath(t), HTTPOnly: true,
		Secure: strings.HasPrefix(s.deps.PublicURL, "https://"), SameSite: fiber.CookieSameSiteLaxMode,
		Expires: time.Now().Add(signup.StateTTL)})
	base := s.deps.WeChatAuthorizeURL
	if base == "" {
		base = wechat.DefaultAuthorizeURL
	}
	callback := strings.TrimRight(s.deps.PublicURL, "/") + s.oauthPath(t) + "/callback"
	if scope == wechat.ScopeLogin {
		return c.Redirect(wechat.QRConnectURL(base, app.AppID, callback, state), fiber.StatusFound)
	}
	return c.Redirect(wechat.AuthorizeURL(base, app.AppID, callback, scope, state), fiber.StatusFound)
}

// oauthApp is the app a web OAuth start is for: a website application for
// QR login (snsapi_login), an official account otherwise.
func oauthApp(t *tenants.Tenant, scope, appid string) (*tenants.App, error) {
	if scope == wechat.ScopeLogin {
		app, err := t.Website(appid)
		if err != nil {
			return nil, badRequest("this tenant has no such website application")
		}
		return app, nil
	}
	app, err := t.OfficialAccount(appid)
	if err != nil {
		return nil, badRequest("this tenant has no such official account")
	}
	return app, nil
}

func (s *Server) oauthPath(t *tenants.Tenant) string { return "/t/" + t.Slug + "/oauth/wechat" }

// oauthCallback finishes web OAuth (GET /oauth/wechat/callback?code&state):
// it checks the state, exchanges the code, reads the profile where the
// scope allows, logs the identity in under the registration policy, and
// sends the browser back to the tenant's page with the session in the URL
// fragment (never sent to servers, nor in Referer headers). Failures after
// the state checks out go back to the page as ?error=<code>.
func (s *Server) oauthCallback(c *fiber.Ctx) error {
	ctx, t := c.UserContext(), tenantOf(c)
	state := strings.Clone(c.Query("state"))
	cookie := c.Cookies(oauthCookie)
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		return &Error{Status: 400, Code: CodeInvalidState, Message: "this sign-in was not started in this browser, or it expired; start again"}
	}
	st, err := s.deps.Signup.TakeState(ctx, t.ID, state)
	if errors.Is(err, signup.ErrInvalid) {
		return &Error{Status: 400, Code: CodeInvalidState, Message: "this sign-in was not started in this browser, or it expired; start again"}
	}
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Value: "", Path: s.oauthPath(t), HTTPOnly: true, MaxAge: -1, Expires: time.Unix(1, 0)})
	code := strings.Clone(c.Query("code"))
	if code == "" {
		return c.Redirect(withQuery(st.RedirectURI, "error", "access_denied"), fiber.StatusFound)
	}
	fragment, err := s.oauthLogin(c, st, code)
	if err != nil {
		e := classify(err)
		if e.Code == CodeSnapshotUser {
			// The page shows its guest mode and the "使用完整服务" hint; the
			// fragment keeps the answer out of servers' logs, like a session.
			return c.Redirect(st.RedirectURI+"#"+url.Values{"error": {e.Code}}.Encode(), fiber.StatusFound)
		}
		if e.Status >= 500 || e.cause != nil {
			s.log.Warn("web oauth failed", "request_id", requestIDOf(c), "tenant", t.Slug, "code", e.Code, "err", e.Error())
		}
		return c.Redirect(withQuery(st.RedirectURI, "error", e.Code), fiber.StatusFound)
	}
	return c.Redirect(st.RedirectURI+"#"+fragment.Encode(), fiber.StatusFound)
}

// oauthLogin exchanges the code and logs the identity in (signin.WebOAuth);
// it returns what goes in the redirect's fragment.
func (s *Server) oauthLogin(c *fiber.Ctx, st *signup.State, code string) (url.Values, error) {
	in, ticket, err := s.deps.SignIn.WebOAuth(c.UserContext(), tenantOf(c), st, code,
		signin.Client{IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	switch {
	case err != nil:
		return nil, err
	case ticket != "":
		return url.Values{"registered": {"false"}, "signup_ticket": {ticket},
			"expires_in": {strconv.Itoa(int(signup.TicketTTL.Seconds()))}}, nil
	}
	body := s.loginBody(c, in.User, in.Created, in.Token)
	return url.Values{"session": {body.Session}, "token_type": {body.TokenType},
		"expires_in": {strconv.Itoa(body.ExpiresIn)}, "user_id": {in.User.PublicID}, "is_new": {strconv.FormatBool(in.Created)}}, nil
}

// withQuery adds key=value to an allow-listed URI's query.
func withQuery(uri, key, value string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
