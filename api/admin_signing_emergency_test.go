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
	active := func(base, token string) bool {
		r := e.doAt(base, "POST", "/t/acme/introspect", `{"token":"`+token+`"}`, bearer(key)...)
		if r.Status != 200 {
			t.Fatalf("introspect at %s: %d %s", base, r.Status, r.Raw)
		}
		return r.Body["active"] == true
	}
	if !active(e.base, leaked) || !active(base2, leaked) {
		t.Fatal("a fresh token is not active on both nodes")
	}

	// The cooldown is known before anyone tries.
	list := e.as(e.callers[own], "GET", path, "")
	after, err := time.Parse(time.RFC3339, list.str("rotate_after"))
	if err != nil || !after.After(e.clock.Now()) {
		t.Fatalf("rotate_after of a new next key: %q (%v): %s", list.str("rotate_after"), err, list.Raw)
	}
	if r := e.as(e.callers[own], "POST", path+"/rotate", ""); r.Status != 409 {
		t.Fatalf("ordinary rotation inside the cooldown: %d %s", r.Status, r.Raw)
	}

	// Refusals change nothing.
	auditRows := func() int {
		return e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.emergency_rotated'`)
	}
	keysBefore := e.count(`SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ?`, e.tenant.ID)
	for _, c := range []struct {
		who    caller
		path   string
		body   string
		status int
		code   string
	}{
		{own, path + "/rotate", `{"emergency":true,"alg":"EdDSA"}`, 400, "invalid_request"},
		{own, path + "/rotate", `{"emergency":"yes"}`, 400, "invalid_request"},
		{other, path + "/rotate", `{"emergency":true}`, 404, "tenant_not_found"},
		{signedOut, path + "/rotate", `{"emergency":true}`, 401, "unauthenticated"},
		{badCSRF, path + "/rotate", `{"emergency":true}`, 403, "csrf_failed"},
	} {
		r := e.as(e.callers[c.who], "POST", c.path, c.body)
		if r.Status != c.status || r.errCode() != c.code {
			t.Fatalf("%s %s: %d %q, want %d %q: %s", c.who, c.body, r.Status, r.errCode(), c.status, c.code, r.Raw)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ?`, e.tenant.ID); n != keysBefore || auditRows() != 0 {
		t.Fatalf("refused emergency rotations changed the keys (%d, was %d) or the audit log", n, keysBefore)
	}

	r := e.as(e.callers[own], "POST", path+"/rotate", `{"emergency":true}`)
	rot, _ := r.Body["rotation"].(map[string]any)
	if r.Status != 200 || rot["retired"] == "" || rot["current"] == "" || rot["next"] == "" {
		t.Fatalf("emergency rotation: %d %s", r.Status, r.Raw)
	}
	retired := rot["retired"].(string)
	if active(e.base, leaked) {
		t.Fatal("a token of the retired key still verifies on the node that rotated")
	}
	for deadline := time.Now().Add(time.Minute); active(base2, leaked); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 2 still verifies a token of the retired key a minute later")
		}
	}
	for _, b := range []string{e.base, base2} {
		if jwks := e.doAt(b, "GET", "/t/acme/.well-known/jwks.json", ""); jwks.Status != 200 || strings.Contains(jwks.Raw, retired) {
			t.Fatalf("JWKS at %s after the emergency rotation: %d %s", b, jwks.Status, jwks.Raw)
		}
	}
	if list := e.as(e.callers[own], "GET", path, ""); strings.Contains(list.Raw, retired) {
		t.Fatalf("the console still lists the retired key: %s", list.Raw)
	}
	// New tokens come from the promoted key and verify on both nodes.
	fresh := e.loginFull("bob").str("access_token")
	if !active(e.base, fresh) || !active(base2, fresh) {
		t.Fatal("a token of the promoted key does not verify")
	}
	if auditRows() != 1 {
		t.Fatalf("%d audit rows of the emergency rotation", auditRows())
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.emergency_rotated' AND target_id = ? AND actor_type = 'admin'`,
		rot["current"]); n != 1 {
		t.Fatal("the audit entry does not name the new key and the admin")
	}
}
