package wechattest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Advance moves the fake's clock forward by d, for what a test cannot wait
// for: codes expiring, tokens reaching 42001, a day's quota ending, the 30
// seconds between forced refreshes.
func (s *Server) Advance(d time.Duration) {
	if d > 0 {
		s.skew.Add(int64(d))
	}
}

// ExpireTokens lets the access tokens of appid ("" for every app) reach
// their end now: calls with them answer 42001 "access_token expired", and
// the next stable_token call hands out a new one.
func (s *Server) ExpireTokens(appid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok, t := range s.tokens {
		if (appid == "" || t.appid == appid) && t.expires.After(now) {
			t.expires = now
			s.tokens[tok] = t
		}
	}
	for id, t := range s.stable {
		if appid == "" || id == appid {
			t.expires = now
			s.stable[id] = t
		}
	}
}

// mockClock moves the clock: POST /mock/clock {"advance_seconds": N}
// answers {"now"}; GET /mock/clock only tells the time.
func (s *Server) mockClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var req struct {
			AdvanceSeconds float64 `json:"advance_seconds"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.AdvanceSeconds < 0 {
			writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"advance_seconds": N >= 0}`})
			return
		}
		s.Advance(time.Duration(req.AdvanceSeconds * float64(time.Second)))
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": s.now().UTC().Format(time.RFC3339Nano)})
}

// mockExpireTokens is POST /mock/expire-tokens {"appid"?}: ExpireTokens.
func (s *Server) mockExpireTokens(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID string `json:"appid"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"appid"?}`})
			return
		}
	}
	s.ExpireTokens(req.AppID)
	w.WriteHeader(http.StatusNoContent)
}
