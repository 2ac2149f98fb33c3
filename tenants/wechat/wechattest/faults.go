package wechattest

import "time"

// Faults are failures injected into every API path (not into /mock/*).
type Faults struct {
	Latency      time.Duration // delay before each answer; cut short when the client goes away
	SystemErrors int           // the next N API calls answer errcode -1 "system error"
	Garbage      bool          // answer an HTML page instead of JSON
	ErrcodeZero  bool          // success bodies carry "errcode":0,"errmsg":"ok"
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Faults returns the injected faults, SystemErrors counting those still due.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// entry is what decides a call before its handler runs.
type entry struct {
	faults      Faults
	systemError bool // a pending system error is spent on this call
	rule        Rule // when ruled, the errcode rule that decides it
	ruled       bool
}

// enter counts a call of api and returns the faults that apply to it,
// spending one pending system error if any is due, else one hit of the
// first matching rule (rules.go).
func (s *Server) enter(api string) (e entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[api]++
	e.faults = s.faults
	if s.faults.SystemErrors > 0 {
		s.faults.SystemErrors--
		e.systemError = true
		return e
	}
	e.rule, e.ruled = s.ruleLocked(api, true)
	return e
}
