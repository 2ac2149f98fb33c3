package wechattest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// loopback is the web-auth domain list of an official account added
// without one: enough for development and tests on one machine, and
// nothing else, as an unconfigured account on WeChat accepts nothing.
var loopback = []string{"localhost", "127.0.0.1", "::1"}

// SetOAuthDomains replaces the web-auth domains ("网页授权域名") of an
// official account, or the callback domains ("授权回调域") of a website
// application: a redirect_uri whose host (lower-case, port dropped) is
// none of them is refused on the authorize page with 10003 (wechat-api.md
// §6.1), and on the qrconnect page with "该链接无法访问"
// (wechat-open-api.md §2.2, §2.4). No domains restores the loopback
// default.
func (s *Server) SetOAuthDomains(appid string, domains ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[appid]
	if !ok {
		return
	}
	a.domains = nil
	for _, d := range domains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			a.domains = append(a.domains, d)
		}
	}
	s.apps[appid] = a
}

// allowsRedirect reports whether target's host is one of a's web-auth
// domains.
func (a app) allowsRedirect(target *url.URL) bool {
	domains := a.domains
	if len(domains) == 0 {
		domains = loopback
	}
	return slices.Contains(domains, strings.ToLower(target.Hostname()))
}

// putOAuthDomains is PUT /mock/oauth-domains {"appid","domains":[...]}.
func (s *Server) putOAuthDomains(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID   string   `json:"appid"`
		Domains []string `json:"domains"`
	}
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req)
	s.mu.Lock()
	a, ok := s.apps[req.AppID]
	s.mu.Unlock()
	if err != nil || !ok || (a.kind != kindOfficialAccount && a.kind != KindWebsite) {
		writeJSON(w, http.StatusBadRequest, mockError{codeInvalidAppID, `want {"appid" of an official account or website, "domains"}`})
		return
	}
	s.SetOAuthDomains(req.AppID, req.Domains...)
	w.WriteHeader(http.StatusNoContent)
}
