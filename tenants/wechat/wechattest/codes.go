package wechattest

import (
	"errors"
	"time"
)

// sweepEvery is how often expired codes and stale rate windows are dropped,
// which keeps memory bounded by the codes of the last few minutes.
const sweepEvery = time.Minute

// grant is a wx.login code: whom and which app it was minted for.
type grant struct {
	appid, user string
	issued      time.Time
	used        bool
}

// window counts one WeChat user's jscode2session calls in a minute.
type window struct {
	start time.Time
	calls int
}

// ErrUnknownApp is returned by IssueCode for an appid never added.
var ErrUnknownApp = errors.New("wechattest: unknown appid")

// IssueCode returns what wx.login would hand the phone of user (any string
// naming a WeChat user) in the mini-program appid.
func (s *Server) IssueCode(appid, user string) (string, error) {
	if user == "" {
		return "", errors.New("wechattest: empty user")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[appid]; !ok || a.kind != kindMiniProgram {
		return "", ErrUnknownApp
	}
	now := s.now()
	s.sweepLocked(now)
	code := newCode()
	for _, taken := s.codes[code]; taken; _, taken = s.codes[code] {
		code = newCode()
	}
	s.codes[code] = grant{appid: appid, user: user, issued: now}
	s.loggedInLocked(appUser{appid, user})
	return code, nil
}

// redeemLocked spends code for appid and returns its user, or the errcode
// WeChat would answer. A code refused for 45011 stays unused.
func (s *Server) redeemLocked(appid, code string) (string, int) {
	now := s.now()
	g, ok := s.codes[code]
	if !ok || g.appid != appid || now.Sub(g.issued) >= s.codeTTL {
		return "", codeInvalidCode
	}
	if g.used {
		return "", codeCodeUsed
	}
	if s.flags[g.user].Blocked {
		return "", codeBlocked
	}
	if !s.allowLocked(g.user, now) {
		return "", codeMinuteQuota
	}
	g.used = true
	s.codes[code] = g
	return g.user, 0
}

// allowLocked counts a call of user's and reports whether it is within the
// per-user limit, which holds across all apps.
func (s *Server) allowLocked(user string, now time.Time) bool {
	if s.perMinute < 0 {
		return true
	}
	w := s.users[user]
	if now.Sub(w.start) >= time.Minute {
		w = window{start: now}
	}
	w.calls++
	s.users[user] = w
	return w.calls <= s.perMinute
}

func (s *Server) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for code, g := range s.codes {
		if now.Sub(g.issued) >= s.codeTTL {
			delete(s.codes, code)
		}
	}
	for user, w := range s.users {
		if now.Sub(w.start) >= time.Minute {
			delete(s.users, user)
		}
	}
	for who, at := range s.visits {
		if now.Sub(at) >= secCheckVisitWindow {
			delete(s.visits, who)
		}
	}
	for code, g := range s.phoneCodes {
		if now.Sub(g.issued) >= s.codeTTL {
			delete(s.phoneCodes, code)
		}
	}
	for code, g := range s.oauthCodes {
		if !now.Before(g.expires) {
			delete(s.oauthCodes, code)
		}
	}
	for tok, t := range s.tokens {
		// Kept a while past expiry so that it answers 42001, not 40001.
		if !now.Before(t.expires.Add(tokenLifetime)) {
			delete(s.tokens, tok)
		}
	}
	for tok, g := range s.oauthTokens {
		if !now.Before(g.expires) {
			delete(s.oauthTokens, tok)
		}
	}
}
