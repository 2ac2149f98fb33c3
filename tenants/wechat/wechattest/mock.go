package wechattest

import (
	"encoding/json"
	"net/http"
	"time"
)

// mockError is the body of a refused /mock/* request. It carries no rid:
// these endpoints are the fake's own, not WeChat's.
type mockError struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

type loginRequest struct {
	AppID string `json:"appid"`
	User  string `json:"user"`
}

// mockLogin plays wx.login on a phone: POST /mock/wx.login {"appid","user"}.
func (s *Server) mockLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "data format error"})
		return
	}
	switch {
	case req.AppID == "":
		writeJSON(w, http.StatusBadRequest, mockError{codeNoAppID, "appid missing"})
		return
	case req.User == "":
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "user missing"})
		return
	}
	code, err := s.IssueCode(req.AppID, req.User)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, mockError{codeInvalidAppID, "invalid appid"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code})
}

// faultsJSON is Faults on the wire of /mock/faults.
type faultsJSON struct {
	LatencyMS    int64 `json:"latency_ms"`
	SystemErrors int   `json:"system_errors"`
	Garbage      bool  `json:"garbage"`
	ErrcodeZero  bool  `json:"errcode_zero"`
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	f := s.Faults()
	writeJSON(w, http.StatusOK, faultsJSON{
		LatencyMS:    f.Latency.Milliseconds(),
		SystemErrors: f.SystemErrors,
		Garbage:      f.Garbage,
		ErrcodeZero:  f.ErrcodeZero,
	})
}

// putFaults replaces all faults; fields left out are switched off.
func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	var req faultsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.LatencyMS < 0 || req.SystemErrors < 0 {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, "data format error"})
		return
	}
	s.SetFaults(Faults{
		Latency:      time.Duration(req.LatencyMS) * time.Millisecond,
		SystemErrors: req.SystemErrors,
		Garbage:      req.Garbage,
		ErrcodeZero:  req.ErrcodeZero,
	})
	s.getFaults(w, r)
}

func (s *Server) postReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// getStats lists the calls per API, zeros included, for load tests.
func (s *Server) getStats(w http.ResponseWriter, _ *http.Request) {
	calls := map[string]int{}
	for _, api := range []string{"jscode2session", "stable_token", "token", "getuserphonenumber", "checksession", "oauth2/access_token", "userinfo", "msg_sec_check", "qrconnect", "app.auth"} {
		calls[api] = s.Calls(api)
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}
