package wechattest

import "net/http"

// failureRoutes serves the /mock/* knobs that play WeChat's failures and
// limits (rules.go, flags.go, clock.go, rotation.go, domains.go).
func (s *Server) failureRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /mock/rules", s.getRules)
	mux.HandleFunc("POST /mock/rules", s.postRule)
	mux.HandleFunc("DELETE /mock/rules", s.deleteRules)
	mux.HandleFunc("POST /mock/user-flags", s.mockUserFlags)
	mux.HandleFunc("GET /mock/clock", s.mockClock)
	mux.HandleFunc("POST /mock/clock", s.mockClock)
	mux.HandleFunc("POST /mock/expire-tokens", s.mockExpireTokens)
	mux.HandleFunc("GET /mock/settings", s.getSettings)
	mux.HandleFunc("PUT /mock/settings", s.putSettings)
	mux.HandleFunc("PUT /mock/oauth-domains", s.putOAuthDomains)
}
