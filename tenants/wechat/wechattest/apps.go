package wechattest

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
)

// appIDShape is what WeChat's AppIDs look like: "wx" and 16 lowercase hex
// digits.
var appIDShape = regexp.MustCompile(`^wx[0-9a-f]{16}$`)

// secretShape accepts WeChat's 32 hex digits and the longer or looser
// secrets that tests and WXMOCK_APPS use; nothing with spaces or controls.
var secretShape = regexp.MustCompile(`^[!-~]{1,128}$`)

// ErrAppConflict is LearnApp's answer for an AppID the fake already knows
// with another secret, binding or kind.
var ErrAppConflict = errors.New("wechattest: appid already known with another secret or binding")

// LearnApp registers a mini-program unless it is known. Learning it again
// with the same secret and binding is a no-op (created false); with another
// one it is ErrAppConflict, because a tenant may already log in with the
// first secret, and silently replacing it would turn its logins into
// tenant_misconfigured. AddApp replaces instead.
func (s *Server) LearnApp(appid, secret, openPlatformID string) (created bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := app{secret: secret, openPlatform: openPlatformID, kind: kindMiniProgram}
	if have, ok := s.apps[appid]; ok {
		if have.secret != want.secret || have.openPlatform != want.openPlatform || have.kind != want.kind {
			return false, ErrAppConflict
		}
		return false, nil
	}
	s.apps[appid] = want
	return true, nil
}

type learnAppRequest struct {
	AppID          string `json:"appid"`
	Secret         string `json:"secret"`
	OpenPlatformID string `json:"open_platform_id"`
}

type learnAppResponse struct {
	AppID          string `json:"appid"`
	OpenPlatformID string `json:"open_platform_id,omitempty"`
	Created        bool   `json:"created"`
}

// postApps teaches the running fake a mini-program, so that a tenant made
// in the console can log in: POST /mock/apps {"appid", "secret",
// "open_platform_id"?} → 201 {"appid", "open_platform_id", "created": true},
// or 200 with "created": false when it was known with the same secret and
// binding; 409 when known with others; 400 for a malformed field.
func (s *Server) postApps(w http.ResponseWriter, r *http.Request) {
	var req learnAppRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"appid", "secret", "open_platform_id"?}`})
		return
	}
	switch {
	case req.AppID == "":
		writeJSON(w, http.StatusBadRequest, mockError{codeNoAppID, "appid missing"})
		return
	case !appIDShape.MatchString(req.AppID):
		writeJSON(w, http.StatusBadRequest, mockError{codeInvalidAppID, `invalid appid: want "wx" and 16 lowercase hex digits`})
		return
	case req.Secret == "":
		writeJSON(w, http.StatusBadRequest, mockError{codeNoSecret, "secret missing"})
		return
	case !secretShape.MatchString(req.Secret):
		writeJSON(w, http.StatusBadRequest, mockError{codeBadSecret, "invalid secret: want 1 to 128 printable ASCII characters, no spaces"})
		return
	case len(req.OpenPlatformID) > 64:
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "open_platform_id longer than 64 characters"})
		return
	}
	created, err := s.LearnApp(req.AppID, req.Secret, req.OpenPlatformID)
	if errors.Is(err, ErrAppConflict) {
		writeJSON(w, http.StatusConflict, mockError{codeInvalidAppID,
			"appid already known with another secret or open_platform_id; restart wxmock to forget it"})
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, learnAppResponse{AppID: req.AppID, OpenPlatformID: req.OpenPlatformID, Created: created})
}
