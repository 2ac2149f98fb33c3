package wechattest

import (
	"crypto/subtle"
	"net/http"
)

// jscode2session answers GET sns/jscode2session. Parameters come from the
// query only: a POST with a form body finds no appid, as on WeChat (41002).
func (s *Server) jscode2session(r *http.Request) outcome {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, code := s.checkAppLocked(q.Get("appid"), q.Get("secret"))
	switch {
	case code != 0:
		return fail(code)
	case q.Get("js_code") == "":
		return fail(codeNoCode)
	case q.Get("grant_type") != "authorization_code":
		return fail(codeInvalidGrant)
	}
	appid := q.Get("appid")
	user, code := s.redeemLocked(appid, q.Get("js_code"))
	if code != 0 {
		return fail(code)
	}
	key := s.issuedKeyLocked(appUser{appid, user})
	s.openids[s.OpenID(appid, user)] = appUser{appid, user}
	s.visits[appUser{appid, user}] = s.now()
	body := map[string]any{"openid": s.OpenID(appid, user), "session_key": key}
	if a.openPlatform != "" {
		body["unionid"] = s.UnionID(a.openPlatform, user)
	}
	return succeed(body)
}

// checkAppLocked authenticates an app the way every secret-taking API does.
func (s *Server) checkAppLocked(appid, secret string) (app, int) {
	if appid == "" {
		return app{}, codeNoAppID
	}
	a, ok := s.apps[appid]
	switch {
	case !ok:
		return app{}, codeInvalidAppID
	case secret == "":
		return app{}, codeNoSecret
	case subtle.ConstantTimeCompare([]byte(secret), []byte(a.secret)) != 1:
		return app{}, codeBadSecret
	}
	return a, 0
}
