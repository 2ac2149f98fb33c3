package wechattest

import (
	"encoding/json"
	"net/http"
)

// UserFlags say how WeChat treats a simulated user beyond its ids.
type UserFlags struct {
	// Blocked is a high-risk user: WeChat intercepts their mini-program
	// login, jscode2session answers 40226 "code blocked" (docs/wechat.md,
	// code2session). Whether the code is spent is UNCONFIRMED; the fake keeps it.
	Blocked bool `json:"blocked"`
	// Snapshot makes web OAuth with snsapi_userinfo open the snapshot page
	// (docs/wechat.md, snapshot users): the token exchange answers a virtual user,
	// is_snapshotuser 1, empty access and refresh tokens.
	Snapshot bool `json:"snapshot"`
}

// SetUserFlags sets user's flags. Like SetPerson, they survive Reset.
func (s *Server) SetUserFlags(user string, f UserFlags) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags[user] = f
}

// mockUserFlags sets a user's flags: POST /mock/user-flags
// {"user","blocked"?,"snapshot"?}; fields left out are switched off.
func (s *Server) mockUserFlags(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User string `json:"user"`
		UserFlags
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.User == "" {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"user", "blocked"?, "snapshot"?}`})
		return
	}
	s.SetUserFlags(req.User, req.UserFlags)
	w.WriteHeader(http.StatusNoContent)
}

// snapshotAnswer is the observed token exchange of a snapshot-page user:
// ids of a virtual account (not the user's real openid and unionid) and no
// usable tokens.
func (s *Server) snapshotAnswer(appid, user, scope string) map[string]any {
	body := map[string]any{"access_token": "", "expires_in": int(tokenLifetime.Seconds()), "refresh_token": "",
		"openid": derive("snapshot openid", appid, user), "scope": scope, "is_snapshotuser": 1}
	if a := s.apps[appid]; a.openPlatform != "" {
		body["unionid"] = derive("snapshot unionid", a.openPlatform, user)
	}
	return body
}
