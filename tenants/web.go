package tenants

import (
	"net"
	"net/url"
	"strings"
)

// maxWebEntries bounds each allow-list: they are checked on every request.
const maxWebEntries = 50

// AllowsOrigin reports whether origin (the browser's Origin header) is on
// the tenant's CORS allow-list. Comparison is exact after lower-casing the
// scheme and host, as browsers send them.
func (s Settings) AllowsOrigin(origin string) bool {
	o, ok := canonicalOrigin(origin)
	if !ok {
		return false
	}
	for _, a := range s.AllowedOrigins {
		if a == o {
			return true
		}
	}
	return false
}

// AllowsRedirect reports whether web OAuth may send the browser to uri: its
// scheme, host, port and path must equal one of the tenant's redirect URIs.
// A query string may be added; userinfo and fragments are refused, so that
// no one can bounce a session to a page of their own (no open redirects).
func (s Settings) AllowsRedirect(uri string) bool {
	u, ok := parseWebURL(uri)
	if !ok {
		return false
	}
	for _, r := range s.RedirectURIs {
		a, ok := parseWebURL(r)
		if ok && a.Scheme == u.Scheme && a.Host == u.Host && a.EscapedPath() == u.EscapedPath() {
			return true
		}
	}
	return false
}

func (s Settings) validateWeb() error {
	if len(s.AllowedOrigins) > maxWebEntries || len(s.RedirectURIs) > maxWebEntries {
		return Invalid("at most 50 allowed origins and 50 redirect URIs")
	}
	for _, o := range s.AllowedOrigins {
		if c, ok := canonicalOrigin(o); !ok || c != o {
			return Invalid("allowed origins must look like https://h5.example.com (lower case, no path; http only for localhost)")
		}
	}
	for _, r := range s.RedirectURIs {
		u, ok := parseWebURL(r)
		if !ok || u.RawQuery != "" || len(r) > 512 {
			return Invalid("redirect URIs must be https URLs without query or fragment (http only for localhost)")
		}
	}
	return nil
}

// canonicalOrigin returns scheme://host[:port] in lower case, or false when
// origin is not a web origin the platform accepts.
func canonicalOrigin(origin string) (string, bool) {
	u, ok := parseWebURL(origin)
	if !ok || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// parseWebURL accepts absolute https URLs, and http ones on loopback hosts
// (development), without userinfo or fragment.
func parseWebURL(raw string) (*url.URL, bool) {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\\") {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") || u.Host == "" || u.Opaque != "" {
		return nil, false
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return nil, false
		}
	default:
		return nil, false
	}
	return u, true
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
