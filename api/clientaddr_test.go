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
// X-Forwarded-For entry the proxies did not write (DESIGN §6), never what
// the client wrote itself.
// ipIs checks that the access log's last request came from ip.
func ipIs(e *env, ip string) func(*testing.T, response) {
	return func(t *testing.T, r response) {
		if got := e.lastIP(); got != ip {
			t.Fatalf("client address = %q, want %s", got, ip)
		}
	}
}

func TestClientAddress(t *testing.T) {
	login := func(name, base, user string, status int, check func(*testing.T, response), header ...string) scenario {
		sc := scenario{name: name, path: base + "/t/acme/login", header: header, status: status, check: check,
			bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` }}
		if status == 200 {
			sc.delta = state{1, 1, 1}
		} else {
			sc.code = "rate_limited"
		}
		return sc
	}

	t.Run("a forged X-Forwarded-For through the proxy gets no fresh login budget", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 2})
		proxy := tenantstest.ForwardingProxy(t, e.base)
		var rows []scenario
		for i := range 2 {
			rows = append(rows, login(fmt.Sprintf("login %d within budget", i), proxy, "u"+strconv.Itoa(i), 200,
				ipIs(e, "127.0.0.1"), "X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))) // the proxy's client
		}
		runStory(t, e, scenario{}, append(rows,
			login("3rd login with a new forged address", proxy, "u2", 429, nil, "X-Forwarded-For", "203.0.113.3"),
			// The same client straight to the server spends the same budget.
			login("direct login from the same address", "", "u3", 429, nil),
		))
	})

	t.Run("what the proxy saw, with no X-Forwarded-For from the client", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		runScenarios(t, e, scenario{}, []scenario{{name: "GET /healthz through the proxy", method: "GET",
			path: tenantstest.ForwardingProxy(t, e.base) + "/healthz", status: 200, check: ipIs(e, "127.0.0.1")}})
	})

	t.Run("a trusted peer without X-Forwarded-For is the client", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		tenantstest.ForwardingProxy(t, e.base) // skips where ProxyPeer cannot be bound
		// Not a row: the request must come from the peer's own address,
		// which the runner's client cannot connect from.
		res, err := tenantstest.ClientFrom(tenantstest.ProxyPeer).Get(e.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("/healthz from the peer: %d", res.StatusCode)
		}
		if ip := e.lastIP(); ip != tenantstest.ProxyPeer {
			t.Fatalf("client address = %q, want the peer %s", ip, tenantstest.ProxyPeer)
		}
	})

	t.Run("an untrusted peer's X-Forwarded-For is ignored", func(t *testing.T) {
		e := newEnv(t, trustProxy)
		e.setLimits(ratelimit.Limits{LoginPerIPPerMinute: 1})
		var rows []scenario
		for i, want := range []int{200, 429} {
			rows = append(rows, login(fmt.Sprintf("login %d", i), "", "u"+strconv.Itoa(i), want,
				ipIs(e, "127.0.0.1"), "X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))) // the peer
		}
		runStory(t, e, scenario{}, rows)
	})

	t.Run("garbage longer than the audit column does not break the audit log", func(t *testing.T) {
		e := newAdminEnv(t, trustProxy)
		proxy := tenantstest.ForwardingProxy(t, e.base)
		garbage := "<script>" + strings.Repeat("x", 60)
		var own adminClient
		recorded := func(action string) func(*testing.T, response) {
			return func(t *testing.T, r response) {
				var ip string
				if err := e.db.Get(&ip, "SELECT ip FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1", action); err != nil {
					t.Fatalf("%s not in the audit log: %v", action, err)
				}
				if ip != "127.0.0.1" {
					t.Fatalf("%s recorded ip %q, want 127.0.0.1", action, ip)
				}
			}
		}
		runStory(t, e.env, scenario{}, []scenario{
			{name: "sign-in", path: proxy + "/admin/api/session", header: []string{"X-Forwarded-For", garbage},
				body:   fmt.Sprintf(`{"email":%q,"password":%q}`, acmeEmail, adminPassword),
				status: 200, audit: []string{"admin.signed_in"},
				check: func(t *testing.T, r response) {
					own = adminClient{cookie: sessionCookie(t, r), csrf: r.str("csrf_token")}
					recorded("admin.signed_in")(t, r)
				}},
			{name: "an audited change", method: "PATCH", path: proxy + "/admin/api/tenants/acme", body: `{"name":"Acme Two"}`,
				headerFn: func(*env) []string { return append(adminHeader(own), "X-Forwarded-For", garbage) },
				status:   200, audit: []string{"tenant.updated"}, check: recorded("tenant.updated")},
		})
	})
}
