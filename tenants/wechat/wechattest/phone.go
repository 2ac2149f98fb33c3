package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// IssuePhoneCode returns what the getPhoneNumber button would hand the
// mini-program appid of user: a single-use code valid 5 minutes.
func (s *Server) IssuePhoneCode(appid, user string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[appid]; !ok || a.kind != kindMiniProgram || user == "" {
		return "", ErrUnknownApp
	}
	now := s.now()
	s.sweepLocked(now)
	b := make([]byte, 32)
	rand.Read(b)
	code := hex.EncodeToString(b) // 64 hex characters, like the documented example
	s.phoneCodes[code] = grant{appid: appid, user: user, issued: now}
	return code, nil
}

// getUserPhoneNumber answers POST wxa/business/getuserphonenumber
// (docs/wechat.md, phone numbers): access_token in the query, {"code", "openid"?} as a
// JSON body.
func (s *Server) getUserPhoneNumber(r *http.Request) outcome {
	if r.Method != http.MethodPost {
		return fail(codeRequirePOST)
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.mu.Lock()
	defer s.mu.Unlock()
	appid, code := s.checkTokenLocked(r.URL.Query().Get("access_token"))
	if code != 0 {
		return fail(code)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fail(codeEmptyPost)
	}
	var req struct {
		Code   string `json:"code"`
		OpenID string `json:"openid"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return fail(codeDataFormat)
	}
	now := s.now()
	g, ok := s.phoneCodes[req.Code]
	switch {
	case !ok || g.used || now.Sub(g.issued) >= s.codeTTL:
		return fail(codeInvalidCode)
	case g.appid != appid:
		return fail(codeInvalidAppID) // the token's app is not the code's
	case req.OpenID != "" && req.OpenID != s.OpenID(appid, g.user):
		return fail(codeInvalidCode) // UNCONFIRMED: WeChat's answer to a code of another user
	case !s.allowPhoneLocked(appid, now):
		return fail(codeMinuteQuota)
	}
	g.used = true
	s.phoneCodes[req.Code] = g
	p := s.personLocked(g.user)
	number := p.phone
	if p.countryCode != "86" {
		number = "+" + p.countryCode + " " + p.phone
	}
	cc, _ := json.Marshal(json.Number(p.countryCode)) // a number, as in the documented example
	return succeed(map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": map[string]any{
		"phoneNumber": number, "purePhoneNumber": p.phone, "countryCode": json.RawMessage(cc),
		"watermark": map[string]any{"timestamp": now.Unix(), "appid": appid},
	}})
}

func (s *Server) allowPhoneLocked(appid string, now time.Time) bool {
	if s.phoneMax <= 0 {
		return true
	}
	w := s.phoneCalls[appid]
	if now.Sub(w.start) >= time.Minute {
		w = window{start: now}
	}
	w.calls++
	s.phoneCalls[appid] = w
	return w.calls <= s.phoneMax
}

// SetPhonePerMinute changes the per-app limit of getuserphonenumber calls
// per minute (45011); 0 lifts it.
func (s *Server) SetPhonePerMinute(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phoneMax = n
	s.phoneCalls = make(map[string]window)
}
