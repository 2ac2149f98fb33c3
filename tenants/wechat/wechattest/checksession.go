package wechattest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// checkSession answers GET wxa/checksession (docs/wechat.md, session_key): the
// signature must be hex(HMAC-SHA256(key = the user's current session_key
// as text, message = "")).
func (s *Server) checkSession(r *http.Request) outcome {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	appid, code := s.checkTokenLocked(q.Get("access_token"))
	switch {
	case code != 0:
		return fail(code)
	case q.Get("sig_method") != "hmac_sha256":
		return fail(codeBadSigMethod) // UNCONFIRMED for checksession (documented for reset)
	}
	who, ok := s.openids[q.Get("openid")]
	key := s.sessionKeys[who]
	if !ok || who.appid != appid || key == "" {
		return fail(codeBadSignature)
	}
	m := hmac.New(sha256.New, []byte(key))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(q.Get("signature"))) {
		return fail(codeBadSignature)
	}
	return succeed(map[string]any{"errcode": 0, "errmsg": "ok"})
}

// ExpireSessionKey forgets user's session_key in appid, as WeChat does
// after a long inactivity: checksession then answers 87009.
func (s *Server) ExpireSessionKey(appid, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessionKeys, appUser{appid, user})
}
