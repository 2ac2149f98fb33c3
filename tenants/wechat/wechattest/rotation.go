package wechattest

import (
	"encoding/json"
	"net/http"
)

// When a user's session_key changes (WeChat: any call that issues a code,
// wx.login for one, may replace it; docs/wechat.md, session_key).
const (
	// RotateOnExchange: every jscode2session issues a new session_key (the
	// default).
	RotateOnExchange = "exchange"
	// RotateOnLogin: every wx.login replaces the user's session_key at
	// once, before the server exchanges the code, so that data the phone
	// encrypts after it no longer opens with the key the server holds.
	RotateOnLogin = "wx.login"
	// RotateNever: a user keeps their session_key across logins.
	RotateNever = "never"
)

// SetSessionKeyRotation chooses when session keys change; "" is
// RotateOnExchange. It reports whether mode is known.
func (s *Server) SetSessionKeyRotation(mode string) bool {
	switch mode {
	case "":
		mode = RotateOnExchange
	case RotateOnExchange, RotateOnLogin, RotateNever:
	default:
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotation = mode
	return true
}

// issuedKeyLocked is the session_key jscode2session answers for who.
func (s *Server) issuedKeyLocked(who appUser) string {
	key := s.sessionKeys[who]
	if key == "" || s.rotation == RotateOnExchange {
		key = newSessionKey()
		s.sessionKeys[who] = key
	}
	return key
}

// loggedInLocked plays what wx.login does to the user's session_key.
func (s *Server) loggedInLocked(who appUser) {
	if s.rotation == RotateOnLogin {
		s.sessionKeys[who] = newSessionKey()
	}
}

type settingsJSON struct {
	SessionKeyRotation string `json:"session_key_rotation"`
}

func (s *Server) getSettings(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, settingsJSON{SessionKeyRotation: s.rotation})
}

// putSettings is PUT /mock/settings {"session_key_rotation"}.
func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var req settingsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !s.SetSessionKeyRotation(req.SessionKeyRotation) {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat,
			`want {"session_key_rotation": "exchange" | "wx.login" | "never"}`})
		return
	}
	s.getSettings(w, r)
}
