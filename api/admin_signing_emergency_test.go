package api_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants/memo"
	"miniauth/tenants/sessions"
)

// TestAdminEmergencySigningKeyRotation: a leaked key is retired at once.
// Tokens it signed stop verifying at introspection on this node and on a
// second node that had the key in memory (its cache hears of the change on
// the bus; the test clock stands still, so no TTL runs out), and the JWKS
// drops it; the refusal to rotate early says until when beforehand.
func TestAdminEmergencySigningKeyRotation(t *testing.T) {
	var deps api.Deps
	e := newAdminEnv(t, func(d *api.Deps) { deps = *d })

	// Node 2: the same MySQL and Redis, its own signing-key cache and bus.
	bus := memo.NewBus(e.rdb, e.prefix, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go bus.Listen(ctx)
	for deadline := time.Now().Add(time.Minute); !bus.Listening(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 2's bus did not subscribe")
		}
	}
	deps.AccessTokens = sessions.NewAccessTokens(sessions.NewSigningKeys(e.db, e.keys, sessions.KeyPolicy{}, e.clock.Now).WithBus(bus))
	node2 := api.New(deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = node2.App().Listener(ln) }()
	t.Cleanup(func() { _ = node2.App().ShutdownWithTimeout(5 * time.Second) })
	base2 := "http://" + ln.Addr().String()

	key := e.apiKey(e.tenant.ID)
	path := "/admin/api/tenants/acme/signing-keys"
	leaked := e.loginFull("alice").str("access_token")
	var retired, current string // the keys the emergency rotation retired and promoted
	var fresh string            // a token signed after it
	// introspect is a row asking node base whether token is active.
	introspect := func(name, base string, token *string, want bool) scenario {
		return scenario{name: name, path: base + "/t/acme/introspect", header: bearer(key),
			bodyFn: func(*env) string { return `{"token":"` + *token + `"}` }, status: 200,
			check: func(t *testing.T, r response) {
				if r.Body["active"] != want {
					t.Fatalf("active %v, want %v: %s", r.Body["active"], want, r.Raw)
				}
			}}
	}
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		introspect("a fresh token is active here", e.base, &leaked, true),
		introspect("a fresh token is active on node 2", base2, &leaked, true),
		// The cooldown is known before anyone tries.
		{name: "rotate_after shown", method: "GET", path: path, status: 200, check: func(t *testing.T, r response) {
			after, err := time.Parse(time.RFC3339, r.str("rotate_after"))
			if err != nil || !after.After(e.clock.Now()) {
				t.Fatalf("rotate_after of a new next key: %q (%v): %s", r.str("rotate_after"), err, r.Raw)
			}
		}},
		{name: "ordinary rotation inside the cooldown", path: path + "/rotate", status: 409, code: "conflict"},
	})

	// Refusals change nothing: the fingerprint (the audit log among it)
	// in each row, the signing keys counted around the table.
	keysBefore := e.count(`SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ?`, e.tenant.ID)
	runScenarios(t, e.env, scenario{path: path + "/rotate", header: adminHeader(e.callers[own])}, []scenario{
		{name: "emergency with an algorithm", body: `{"emergency":true,"alg":"EdDSA"}`, status: 400, code: "invalid_request"},
		{name: "emergency not a boolean", body: `{"emergency":"yes"}`, status: 400, code: "invalid_request"},
		{name: "another tenant's admin", header: adminHeader(e.callers[other]), body: `{"emergency":true}`, status: 404, code: "tenant_not_found"},
		{name: "signed out", header: adminHeader(e.callers[signedOut]), body: `{"emergency":true}`, status: 401, code: "unauthenticated"},
		{name: "bad CSRF", header: adminHeader(e.callers[badCSRF]), body: `{"emergency":true}`, status: 403, code: "csrf_failed"},
	})
	if n := e.count(`SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ?`, e.tenant.ID); n != keysBefore {
		t.Fatalf("refused emergency rotations changed the keys (%d, was %d)", n, keysBefore)
	}

	notIn := func(what string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if strings.Contains(r.Raw, retired) {
				t.Fatalf("%s still has the retired key %s: %s", what, retired, r.Raw)
			}
		}
	}
	runStory(t, e.env, scenario{header: adminHeader(e.callers[own])}, []scenario{
		{name: "emergency rotation", path: path + "/rotate", body: `{"emergency":true}`, status: 200, audit: []string{"signing_key.emergency_rotated"},
			check: func(t *testing.T, r response) {
				retired, current = r.str("rotation", "retired"), r.str("rotation", "current")
				if retired == "" || current == "" || r.str("rotation", "next") == "" {
					t.Fatalf("emergency rotation: %s", r.Raw)
				}
			}},
		introspect("the leaked token is refused on the node that rotated", e.base, &leaked, false),
		// Node 2 hears of the change on its bus, in its own time: before
		// the row, wait (a minute at most) until it refuses the token.
		func() scenario {
			sc := introspect("the leaked token is refused on node 2", base2, &leaked, false)
			sc.before = func(e *env) {
				for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
					r := e.doAt(base2, "POST", "/t/acme/introspect", `{"token":"`+leaked+`"}`, bearer(key)...)
					if r.Status == 200 && r.Body["active"] != true {
						return
					}
					if time.Now().After(deadline) {
						e.t.Fatalf("node 2 still verifies a token of the retired key a minute later: %d %s", r.Status, r.Raw)
					}
				}
			}
			return sc
		}(),
		{name: "JWKS here drops the retired key", method: "GET", path: "/t/acme/.well-known/jwks.json", header: []string{}, status: 200, check: notIn("the JWKS")},
		{name: "JWKS on node 2 drops the retired key", method: "GET", path: base2 + "/t/acme/.well-known/jwks.json", header: []string{}, status: 200, check: notIn("node 2's JWKS")},
		{name: "the console no longer lists the retired key", method: "GET", path: path, status: 200, check: notIn("the console's list")},
		// New tokens come from the promoted key and verify on both nodes;
		// bob logs in (set-up) as the first row builds its body.
		func() scenario {
			sc := introspect("a token of the promoted key is active here", e.base, &fresh, true)
			sc.bodyFn = func(e *env) string {
				fresh = e.loginFull("bob").str("access_token")
				return `{"token":"` + fresh + `"}`
			}
			return sc
		}(),
		introspect("a token of the promoted key is active on node 2", base2, &fresh, true),
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.emergency_rotated'`); n != 1 {
		t.Fatalf("%d audit rows of the emergency rotation", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.emergency_rotated' AND target_id = ? AND actor_type = 'admin'`,
		current); n != 1 {
		t.Fatal("the audit entry does not name the new key and the admin")
	}
}
