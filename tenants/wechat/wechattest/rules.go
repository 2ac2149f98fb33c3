package wechattest

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
)

// Rule makes an API answer an errcode, beyond the fixed Faults: for the
// next Times calls, or for a Fraction of calls, or both (a fraction of
// calls until Times have been hit). With neither, it hits the next call
// only. Consume first runs the API for real, spending its code or
// renewing its token, and then answers the errcode anyway: WeChat does
// that after a -1 (a retry then gets 40163), and a client must be right
// either way. On the qrconnect page a rule shows its errcode on the page
// instead of redirecting; on app.auth (the phone side of SendAuth) it is
// SendAuth's errCode, e.g. -2 (cancelled) or -4 (denied), with no code.
type Rule struct {
	API      string  `json:"api"`     // as in Calls, e.g. "jscode2session", "qrconnect", "app.auth"; "*" matches every server API
	Errcode  int     `json:"errcode"` // any code; its errmsg is WeChat's when the fake knows it
	Times    int     `json:"times,omitempty"`
	Fraction float64 `json:"fraction,omitempty"` // 0 < Fraction <= 1
	Consume  bool    `json:"consume,omitempty"`
}

// AddRule adds r after the rules already set; the first matching rule
// decides a call.
func (s *Server) AddRule(r Rule) {
	if r.Times <= 0 && r.Fraction <= 0 {
		r.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r)
}

// Rules returns the rules still in force, Times counting the hits due.
func (s *Server) Rules() []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rule{}, s.rules...)
}

// ClearRules removes every rule.
func (s *Server) ClearRules() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// ruleLocked returns the rule that decides a call of api, spending one of
// its hits; a rule whose hits are spent is dropped. "*" rules decide
// server APIs only (serverAPI), not the pages and phone-side calls.
func (s *Server) ruleLocked(api string, serverAPI bool) (Rule, bool) {
	for i, r := range s.rules {
		if r.API != api && (r.API != "*" || !serverAPI) {
			continue
		}
		if r.Fraction > 0 && rand.Float64() >= r.Fraction {
			continue
		}
		if r.Times > 0 {
			s.rules[i].Times--
			if s.rules[i].Times == 0 {
				s.rules = append(s.rules[:i:i], s.rules[i+1:]...)
			}
		}
		return r, true
	}
	return Rule{}, false
}

// postRule adds a rule: POST /mock/rules {"api","errcode","times"?,
// "fraction"?,"consume"?}.
func (s *Server) postRule(w http.ResponseWriter, r *http.Request) {
	var req Rule
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.API == "" || req.Errcode == 0 || req.Times < 0 ||
		req.Fraction < 0 || req.Fraction > 1 {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat,
			`want {"api", "errcode" (not 0), "times"? >= 0, "fraction"? in [0, 1], "consume"?}`})
		return
	}
	s.AddRule(req)
	s.getRules(w, r)
}

func (s *Server) getRules(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.Rules()})
}

func (s *Server) deleteRules(w http.ResponseWriter, _ *http.Request) {
	s.ClearRules()
	w.WriteHeader(http.StatusNoContent)
}
