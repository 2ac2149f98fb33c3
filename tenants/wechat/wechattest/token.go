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
	t := s.stableTokenLocked(req.AppID, req.ForceRefresh, now)
	return succeed(map[string]any{
		"access_token": t.value,
		"expires_in":   int(t.expires.Sub(now) / time.Second),
	})
}

// stableTokenLocked hands out the app's current token while more than 5
// minutes of it remain, so every caller gets the same one; force renews it
// unless the previous forced renewal was under 30 seconds ago.
func (s *Server) stableTokenLocked(appid string, force bool, now time.Time) stableToken {
	t, ok := s.stable[appid]
	renew := !ok || t.expires.Sub(now) < stableRenewal
	if force && (!ok || now.Sub(t.forcedAt) >= forceRefreshIn) {
		renew = true
		t.forcedAt = now
	}
	if renew {
		t.value, t.expires = newAccessToken(), now.Add(tokenLifetime)
		s.stable[appid] = t
	}
	return t
}

// token answers GET cgi-bin/token: every call mints a new token. A wrong
// secret answers 40125 "invalid appsecret", as observed today and listed in
// wechat-api.md §2.1, rather than the older documented 40001.
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
	return succeed(map[string]any{"access_token": newAccessToken(), "expires_in": int(tokenLifetime / time.Second)})
}
