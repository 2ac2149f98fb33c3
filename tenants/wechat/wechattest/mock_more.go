package wechattest

import (
	"encoding/json"
	"net/http"
)

// appUserRequest is the body of the phone-side /mock/* endpoints.
type appUserRequest struct {
	AppID string `json:"appid"`
	User  string `json:"user"`
}

func readAppUser(w http.ResponseWriter, r *http.Request) (appUserRequest, bool) {
	var req appUserRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.AppID == "" || req.User == "" {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "want {\"appid\", \"user\"}"})
		return req, false
	}
	return req, true
}

// mockPhoneCode plays the getPhoneNumber button: POST /mock/getPhoneNumber
// {"appid","user"} → {"code"}.
func (s *Server) mockPhoneCode(w http.ResponseWriter, r *http.Request) {
	req, ok := readAppUser(w, r)
	if !ok {
		return
	}
	code, err := s.IssuePhoneCode(req.AppID, req.User)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeInvalidAppID, "invalid appid"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code})
}

// mockUserInfo plays wx.getUserInfo: POST /mock/wx.getUserInfo
// {"appid","user"} → {"rawData","signature","encryptedData","iv"}.
func (s *Server) mockUserInfo(w http.ResponseWriter, r *http.Request) {
	req, ok := readAppUser(w, r)
	if !ok {
		return
	}
	d, err := s.UserInfo(req.AppID, req.User)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeBadSignature, "no session_key: log the user in first"})
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// mockUser sets what WeChat reports about a user: POST /mock/user
// {"user","country_code","phone","nickname","avatar_url"}.
func (s *Server) mockUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User        string `json:"user"`
		CountryCode string `json:"country_code"`
		Phone       string `json:"phone"`
		Nickname    string `json:"nickname"`
		AvatarURL   string `json:"avatar_url"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.User == "" {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "want {\"user\", ...}"})
		return
	}
	s.SetPerson(req.User, req.CountryCode, req.Phone, req.Nickname, req.AvatarURL)
	w.WriteHeader(http.StatusNoContent)
}

// mockExpire plays time passing for one app: POST /mock/expire
// {"appid","user"?} invalidates the app's access tokens, and with a user
// also forgets that user's session_key.
func (s *Server) mockExpire(w http.ResponseWriter, r *http.Request) {
	var req appUserRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.AppID == "" {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "want {\"appid\", \"user\"?}"})
		return
	}
	if req.User != "" {
		s.ExpireSessionKey(req.AppID, req.User)
	} else {
		s.InvalidateTokens(req.AppID)
	}
	w.WriteHeader(http.StatusNoContent)
}
