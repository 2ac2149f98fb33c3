package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"miniauth/api"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/tenantstest"
)

// trustProxy trusts tenantstest.ForwardingProxy, and nothing else.
func trustProxy(d *api.Deps) {
	d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tenantstest.ProxyPeer + "/32")}
}

// via is e reached through the proxy at base.
func (e *env) via(base string) *env {
	c := *e
	c.base = base
	return &c
}

// lastIP is the client address of the last request the access log wrote.
func (e *env) lastIP() string {
	e.t.Helper()
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var l struct{ Msg, IP string }
		if json.Unmarshal([]byte(lines[i]), &l) == nil && l.Msg == "request" {
			return l.IP
		}
	}
	e.t.Fatal("no request in the access log")
	return ""
}

// Behind a trusted proxy the client's address is the rightmost
// X-Forwarded-For entry the proxies did not write, never what
// the client wrote itself.
func TestClientAddress(t *testing.T) {
	t.Run("a forged X-Forwarded-For through the proxy gets no fresh login budget", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 2})
		proxied := e.via(tenantstest.ForwardingProxy(t, e.base))
		login := func(user, forged string) response {
			return proxied.do("POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`, "X-Forwarded-For", forged)
		}
		for i := range 2 {
			if r := login("u"+strconv.Itoa(i), "203.0.113."+strconv.Itoa(i+1)); r.Status != 200 {
				t.Fatalf("login %d within budget: %d %s", i, r.Status, r.Raw)
			}
			if ip := e.lastIP(); ip != "127.0.0.1" {
				t.Fatalf("client address = %q, want the proxy's client 127.0.0.1", ip)
			}
		}
		if r := login("u2", "203.0.113.3"); r.Status != 429 {
			t.Fatalf("3rd login with a new forged address: %d %s", r.Status, r.Raw)
		}
		// The same client straight to the server spends the same budget.
		if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("u3")+`"}`); r.Status != 429 {
			t.Fatalf("direct login from the same address: %d %s", r.Status, r.Raw)
		}
	})

	t.Run("what the proxy saw, with no X-Forwarded-For from the client", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		if r := e.via(tenantstest.ForwardingProxy(t, e.base)).do("GET", "/healthz", ""); r.Status != 200 {
			t.Fatalf("/healthz: %d", r.Status)
		}
		if ip := e.lastIP(); ip != "127.0.0.1" {
			t.Fatalf("client address = %q, want 127.0.0.1", ip)
		}
	})

	t.Run("a trusted peer without X-Forwarded-For is the client", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		tenantstest.ForwardingProxy(t, e.base) // skips where ProxyPeer cannot be bound
		res, err := tenantstest.ClientFrom(tenantstest.ProxyPeer).Get(e.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if ip := e.lastIP(); ip != tenantstest.ProxyPeer {
			t.Fatalf("client address = %q, want the peer %s", ip, tenantstest.ProxyPeer)
		}
	})

	t.Run("an untrusted peer's X-Forwarded-For is ignored", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
		for i, want := range []int{200, 429} {
			r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("u"+strconv.Itoa(i))+`"}`,
				"X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))
			if r.Status != want {
				t.Fatalf("login %d: %d %s, want %d", i, r.Status, r.Raw, want)
			}
			if ip := e.lastIP(); ip != "127.0.0.1" {
				t.Fatalf("client address = %q, want the peer 127.0.0.1", ip)
			}
		}
	})

	t.Run("garbage longer than the audit column does not break the audit log", func(t *testing.T) {
		e := newAdminEnv(t, trustProxy)
		proxied := e.via(tenantstest.ForwardingProxy(t, e.base))
		garbage := "<script>" + strings.Repeat("x", 60)
		r := proxied.do("POST", "/admin/api/session", fmt.Sprintf(`{"email":%q,"password":%q}`, acmeEmail, adminPassword),
			"X-Forwarded-For", garbage)
		if r.Status != 200 {
			t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
		}
		own := adminClient{cookie: sessionCookie(t, r), csrf: r.Body["csrf_token"].(string)}
		r = proxied.do("PATCH", "/admin/api/tenants/acme", `{"name":"Acme Two"}`, "X-Forwarded-For", garbage,
			"Cookie", "miniauth_admin="+own.cookie, "X-CSRF-Token", own.csrf)
		if r.Status != 200 {
			t.Fatalf("an audited change: %d %s", r.Status, r.Raw)
		}
		for _, action := range []string{"admin.signed_in", "tenant.updated"} {
			var ip string
			if err := e.db.Get(&ip, "SELECT ip FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1", action); err != nil {
				t.Fatalf("%s not in the audit log: %v", action, err)
			}
			if ip != "127.0.0.1" {
				t.Fatalf("%s recorded ip %q, want 127.0.0.1", action, ip)
			}
		}
	})
}
