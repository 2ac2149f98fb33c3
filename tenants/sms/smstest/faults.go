package smstest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Fault makes the next Times requests to Provider ("tencent", "aliyun" or
// "*") that pass the signature check answer Code, in the shape the
// service uses for it: Tencent's request-level codes as Response.Error and
// the others as the number's SendStatus; Alibaba's isv.*/isp.* codes with
// HTTP 200 and its gateway codes (SignatureDoesNotMatch, Throttling.User,
// InternalError…) with their HTTP status. Times 0 means once; negative,
// until the faults are cleared.
type Fault struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
	Times    int    `json:"times,omitempty"`
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// fault spends the first fault that applies to provider.
func (s *Server) fault(provider string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.Provider != provider && f.Provider != "*" {
			continue
		}
		code := f.Code
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return code, true
	}
	return "", false
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"faults": append([]Fault{}, s.faults...)})
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.Code == "" ||
		(f.Provider != "tencent" && f.Provider != "aliyun" && f.Provider != "*") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"provider":"tencent"|"aliyun"|"*","code":"…","times":N}`})
		return
	}
	s.Inject(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// postClock moves the clock: {"advance_seconds": N}.
func (s *Server) postClock(w http.ResponseWriter, r *http.Request) {
	var b struct {
		AdvanceSeconds int64 `json:"advance_seconds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.AdvanceSeconds < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"advance_seconds": N}`})
		return
	}
	s.Advance(time.Duration(b.AdvanceSeconds) * time.Second)
	writeJSON(w, http.StatusOK, map[string]any{"now": s.now().UTC()})
}

func (s *Server) getStats(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		calls[k] = v
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}
