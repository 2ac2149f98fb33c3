package wechattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Lifetimes of access tokens as documented by WeChat.
const (
	tokenLifetime  = 2 * time.Hour
	stableRenewal  = 5 * time.Minute  // a stable token is renewed in its last 5 minutes
	forceRefreshIn = 30 * time.Second // force_refresh calls closer than this do not refresh
)

type stableToken struct {
	value    string
	expires  time.Time
	forcedAt time.Time // last force_refresh that took effect
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// stableToken answers POST cgi-bin/stable_token, whose parameters are a
// JSON body.
func (s *Server) stableToken(r *http.Request) outcome {
	if r.Method != http.MethodPost {
		return fail(codeRequirePOST)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return fail(codeEmptyPost)
	}
	var req stableTokenRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fail(codeDataFormat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, code := s.checkAppLocked(req.AppID, req.Secret); code != 0 {
		return fail(code)
	}
	if req.GrantType != "client_credential" {
		return fail(codeInvalidGrant)
	}
	now := s.now()
	t, code := s.stableTokenLocked(req.AppID, req.ForceRefresh, now)
	if code != 0 {
		return fail(code)
	}
	return succeed(map[string]any{
		"access_token": t.value,
		"expires_in":   int(t.expires.Sub(now) / time.Second),
	})
}

// stableTokenLocked hands out the app's current token while more than 5
// minutes of it remain, so every caller gets the same one; force renews it
// unless the previous forced renewal was under 30 seconds ago (then the
// current token is answered). A force beyond the day's 20 answers 45009.
func (s *Server) stableTokenLocked(appid string, force bool, now time.Time) (stableToken, int) {
	t, ok := s.stable[appid]
	renew := !ok || t.expires.Sub(now) < stableRenewal
	if force && (!ok || now.Sub(t.forcedAt) >= forceRefreshIn) {
		if !countLocked(s.forced, appid, s.forceMax, now) {
			return stableToken{}, codeDailyQuota
		}
		renew = true
		t.forcedAt = now
	}
	if renew {
		if force && ok {
			delete(s.tokens, t.value) // a forced refresh invalidates the old token at once
		}
		t.value, t.expires = newAccessToken(), now.Add(tokenLifetime)
		s.stable[appid] = t
		s.tokens[t.value] = issuedToken{appid: appid, expires: t.expires}
	}
	return t, 0
}

// token answers GET cgi-bin/token: every call mints a new token. A wrong
// secret answers 40125 "invalid appsecret", as WeChat answers today and its
// current error table lists, rather than the 40001 older documents show.
func (s *Server) token(r *http.Request) outcome {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, code := s.checkAppLocked(q.Get("appid"), q.Get("secret")); code != 0 {
		return fail(code)
	}
	if q.Get("grant_type") != "client_credential" {
		return fail(codeInvalidGrant)
	}
	now := s.now()
	if !countLocked(s.tokenCalls, q.Get("appid"), s.tokenMax, now) {
		return fail(codeDailyQuota)
	}
	// Each call invalidates the previous token, which stays usable for 5
	// more minutes.
	if old, ok := s.tokens[s.lastToken[q.Get("appid")]]; ok && old.expires.After(now.Add(stableRenewal)) {
		old.expires = now.Add(stableRenewal)
		s.tokens[s.lastToken[q.Get("appid")]] = old
	}
	tok := newAccessToken()
	s.tokens[tok] = issuedToken{appid: q.Get("appid"), expires: now.Add(tokenLifetime)}
	s.lastToken[q.Get("appid")] = tok
	return succeed(map[string]any{"access_token": tok, "expires_in": int(tokenLifetime / time.Second)})
}

// issuedToken is an access_token WeChat would accept until it expires.
type issuedToken struct {
	appid   string
	expires time.Time
}

// checkTokenLocked authenticates the access_token of a call and returns
// its app: 41001 when absent, 40001 when unknown or replaced, 42001 when
// expired.
func (s *Server) checkTokenLocked(token string) (string, int) {
	if token == "" {
		return "", codeNoToken
	}
	t, ok := s.tokens[token]
	switch {
	case !ok:
		return "", codeBadToken
	case !s.now().Before(t.expires):
		return "", codeTokenExpired
	}
	return t.appid, 0
}

// InvalidateTokens makes every access_token of appid invalid (40001), as
// when another party force-refreshes it or WeChat resets it; the next
// stable_token call hands out a new one.
func (s *Server) InvalidateTokens(appid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, t := range s.tokens {
		if t.appid == appid {
			delete(s.tokens, tok)
		}
	}
	delete(s.stable, appid)
}
