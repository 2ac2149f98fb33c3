package wechattest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Kinds of Open Platform apps (wechat-open-api.md §1, §2), as AddOpenApp
// and wxmock's --open-app take them.
const (
	KindMobileApp = "mobileapp" // a mobile application: the WeChat app's SendAuth login
	KindWebsite   = "website"   // a website application: QR login on the qrconnect page
)

// scopeLogin is the only scope of website applications.
const scopeLogin = "snsapi_login"

// AddMobileApp registers an Open Platform mobile application, or replaces
// its secret and binding. Its codes come from IssueAppCode (the phone side
// of SendAuth) and go to sns/oauth2/access_token with scope
// snsapi_userinfo, answering the unionid of openPlatformID.
func (s *Server) AddMobileApp(appid, secret, openPlatformID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appid] = app{secret: secret, openPlatform: openPlatformID, kind: KindMobileApp}
}

// AddWebsite registers an Open Platform website application. domain is its
// callback domain ("授权回调域"): the qrconnect page refuses redirect URIs on
// another host; "" accepts loopback hosts only (more with SetOAuthDomains).
func (s *Server) AddWebsite(appid, secret, openPlatformID, domain string) {
	s.mu.Lock()
	s.apps[appid] = app{secret: secret, openPlatform: openPlatformID, kind: KindWebsite}
	s.mu.Unlock()
	if domain != "" {
		s.SetOAuthDomains(appid, domain)
	}
}

// AddOpenApp registers an Open Platform app of kind KindMobileApp or
// KindWebsite (a website with the loopback callback domains). An Open
// Platform app always belongs to an open platform account.
func (s *Server) AddOpenApp(appid, secret, openPlatformID, kind string) error {
	if openPlatformID == "" {
		return errors.New("wechattest: an Open Platform app needs its open platform id")
	}
	switch kind {
	case KindMobileApp:
		s.AddMobileApp(appid, secret, openPlatformID)
	case KindWebsite:
		s.AddWebsite(appid, secret, openPlatformID, "")
	default:
		return fmt.Errorf("wechattest: kind %q: want %s or %s", kind, KindMobileApp, KindWebsite)
	}
	return nil
}

// IssueAppCode returns what the WeChat Open SDK's SendAuth hands the app
// appid on user's phone once the user consents (wechat-open-api.md §1.2):
// a single-use code for sns/oauth2/access_token, valid OpenCodeTTL, good
// with appid only.
func (s *Server) IssueAppCode(appid, user string) (string, error) {
	if user == "" {
		return "", errors.New("wechattest: empty user")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[appid]; !ok || a.kind != KindMobileApp {
		return "", ErrUnknownApp
	}
	return s.openCodeLocked(appid, user, "snsapi_userinfo"), nil
}

// openCodeLocked mints an Open Platform app's code.
func (s *Server) openCodeLocked(appid, user, scope string) string {
	now := s.now()
	s.sweepLocked(now)
	code := newCode()
	for _, taken := s.oauthCodes[code]; taken; _, taken = s.oauthCodes[code] {
		code = newCode()
	}
	s.oauthCodes[code] = oauthGrant{appid: appid, user: user, scope: scope, issued: now, expires: now.Add(s.openTTL)}
	return code
}

// pageRule counts a call of a page or phone-side api ("qrconnect",
// "app.auth") and returns the errcode rule (rules.go) that decides it.
// The Faults stay out: they are WeChat's server APIs' only.
func (s *Server) pageRule(api string) (Rule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[api]++
	return s.ruleLocked(api, false)
}

// SendAuth errCode values the fake plays (wechat-open-api.md §1.2).
var sendAuthErrors = map[int]string{
	-1: "common error", -2: "user cancelled", -3: "send failed", -4: "auth denied", -5: "unsupported",
}

// mockAppAuth plays SendAuth on a phone: POST /mock/app.auth
// {"appid","user","state"?} → {"errCode":0,"code","state"}. A rule on
// "app.auth" answers its errcode as SendAuth's errCode instead, with no
// code (-2 the user cancelled, -4 the user denied).
func (s *Server) mockAppAuth(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID string `json:"appid"`
		User  string `json:"user"`
		State string `json:"state"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.AppID == "" || req.User == "" {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"appid" of a mobile app, "user", "state"?}`})
		return
	}
	if rule, ok := s.pageRule("app.auth"); ok {
		msg, known := sendAuthErrors[rule.Errcode]
		if !known {
			msg = errmsg(rule.Errcode)
		}
		writeJSON(w, http.StatusOK, map[string]any{"errCode": rule.Errcode, "errStr": msg, "state": req.State})
		return
	}
	code, err := s.IssueAppCode(req.AppID, req.User)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeInvalidAppID, "invalid appid: not a mobile app"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errCode": 0, "code": code, "state": req.State, "lang": "zh_CN", "country": "CN"})
}
