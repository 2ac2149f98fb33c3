package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/webhooks"
)

func TestAdminAPIKeys(t *testing.T) {
	e := newAdminEnv(t)
	session := e.login("alice")
	base := "/admin/api/tenants/acme/api-keys"
	by := func(who caller) []string { return adminHeader(e.callers[who]) }
	var key, keyPath string // the key made, and its path
	keyID := func(*env) string { return keyPath }
	introspect := func(*env) string { return `{"token":"` + session + `"}` }
	withKey := func(*env) []string { return bearer(key) }
	runStory(t, e.env, scenario{path: base, header: by(own)}, []scenario{
		{name: "signed out", header: by(signedOut), body: `{"name":"x"}`, status: 401, code: "unauthenticated"},
		{name: "another tenant's admin", header: by(other), body: `{"name":"x"}`, status: 404, code: "tenant_not_found"},
		{name: "bad CSRF", header: by(badCSRF), body: `{"name":"x"}`, status: 403, code: "csrf_failed"},
		{name: "create", body: `{"name":"orders"}`, status: 201, audit: []string{"api_key.created"}, check: func(t *testing.T, r response) {
			key = r.str("key")
			if !strings.HasPrefix(key, "mak_") {
				t.Fatalf("create: %s", r.Raw)
			}
			keyPath = fmt.Sprintf("%s/%d", base, int(r.num("api_key", "id")))
		}},
		{name: "list", method: "GET", status: 200, audit: []string{}, check: func(t *testing.T, r response) {
			if strings.Contains(r.Raw, key) || !strings.Contains(r.Raw, key[:12]) || !strings.Contains(r.Raw, `"orders"`) {
				t.Fatalf("list shows the key, or not its prefix: %s", r.Raw)
			}
		}},
		{name: "another tenant's admin lists", method: "GET", header: by(other), status: 404, code: "tenant_not_found"},
		{name: "introspect with the new key", path: "/t/acme/introspect", headerFn: withKey, bodyFn: introspect, status: 200, audit: []string{},
			check: func(t *testing.T, r response) {
				if r.Body["active"] != true {
					t.Fatalf("introspect with the new key: %s", r.Raw)
				}
			}},
		{name: "another tenant's admin revokes", method: "DELETE", header: by(other), pathFn: keyID, status: 404, code: "tenant_not_found"},
		{name: "revoke through another tenant's path", method: "DELETE", pathFn: func(*env) string {
			return strings.Replace(keyPath, "/tenants/acme/", "/tenants/globex/", 1)
		}, status: 404},
		{name: "revoke", method: "DELETE", pathFn: keyID, status: 204, audit: []string{"api_key.revoked"}},
		{name: "a revoked key", path: "/t/acme/introspect", headerFn: withKey, bodyFn: introspect, status: 401, code: "invalid_api_key"},
	})
}

func TestAdminSigningKeyRotation(t *testing.T) {
	e := newAdminEnv(t)
	key := e.apiKey(e.tenant.ID)
	const rotate = "/admin/api/tenants/acme/signing-keys/rotate"
	kidOf := func(token string) string {
		h, _, _ := strings.Cut(token, ".")
		return h // compared as a whole: the header carries the kid
	}
	e.loginFull("alice") // the first token makes the tenant's first keys
	var old response     // a login's answer from before the rotation
	runStory(t, e.env, scenario{path: rotate, header: adminHeader(e.callers[own])}, []scenario{
		{name: "rotation right after the first key", status: 409, code: "conflict", check: func(t *testing.T, r response) {
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("no Retry-After: %v", r.Header)
			}
		}},
		{name: "rotate", body: `{"alg":"EdDSA"}`, status: 200, audit: []string{"signing_key.rotated"},
			before: func(e *env) {
				e.clock.Add(16 * time.Minute) // the next key has been published long enough
				old = e.loginFull("bob")
			},
			check: func(t *testing.T, r response) {
				if r.str("rotation", "current") == "" || r.str("rotation", "retired") == "" {
					t.Fatalf("rotate: %s", r.Raw)
				}
			}},
		{name: "JWKS", method: "GET", path: "/t/acme/.well-known/jwks.json", header: []string{}, status: 200, check: func(t *testing.T, r response) {
			if n := len(r.list("keys")); n != 3 || !strings.Contains(r.Raw, `"OKP"`) {
				t.Fatalf("after rotation the JWKS has %d keys: %s", n, r.Raw)
			}
		}},
		// Tokens of the retired key stay valid until they expire; new tokens
		// come from the promoted key.
		{name: "a token of the retired key", path: "/t/acme/introspect", header: bearer(key),
			bodyFn: func(*env) string { return `{"token":"` + old.str("access_token") + `"}` }, status: 200,
			check: func(t *testing.T, r response) {
				if r.Body["active"] != true {
					t.Fatalf("token of the retired key: %s", r.Raw)
				}
			}},
		{name: "a new token", path: "/t/acme/login", header: []string{}, bodyFn: func(e *env) string { return `{"code":"` + e.code("carol") + `"}` },
			status: 200, delta: state{users: 1, identities: 1, sessions: 1}, check: func(t *testing.T, r response) {
				if kidOf(r.str("access_token")) == kidOf(old.str("access_token")) {
					t.Fatal("new tokens are still signed by the retired key")
				}
			}},
		{name: "list", method: "GET", path: "/admin/api/tenants/acme/signing-keys", status: 200, check: func(t *testing.T, r response) {
			if !strings.Contains(r.Raw, `"retired"`) || !strings.Contains(r.Raw, `"jwks_uri"`) || strings.Contains(r.Raw, "private") {
				t.Fatalf("signing keys: %s", r.Raw)
			}
		}},
		{name: "another tenant's admin", header: adminHeader(e.callers[other]), status: 404, code: "tenant_not_found"},
		{name: "rotation to HS256", body: `{"alg":"HS256"}`, status: 400, code: "invalid_request"},
	})
}

type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []http.Header
	body []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got, h.body = append(h.got, r.Header.Clone()), append(h.body, string(b))
		h.mu.Unlock()
		w.Write([]byte("thanks"))
	}))
	t.Cleanup(h.Close)
	return h
}

// events returns the event types received so far, verifying each
// signature with secret.
func (h *hookReceiver) events(t *testing.T, secret string) []string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for i, hd := range h.got {
		if err := webhooks.Verify(secret, hd.Get("webhook-id"), hd.Get("webhook-timestamp"), hd.Get("webhook-signature"),
			[]byte(h.body[i]), time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("delivery %d does not verify: %v", i, err)
		}
		out = append(out, hd.Get("miniauth-event"))
	}
	return out
}

func TestWebhooksEndToEnd(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	recv := newHookReceiver(t)
	base := "/admin/api/tenants/acme/webhooks"
	by := func(who caller) []string { return adminHeader(e.callers[who]) }
	var secret, hook string // the endpoint's secret and path
	hookPath := func(suffix string) func(*env) string { return func(*env) string { return hook + suffix } }
	events := func() int { return e.count(`SELECT COUNT(*) FROM webhook_events`) }
	runStory(t, e.env, scenario{path: base, header: by(own)}, []scenario{
		{name: "create", body: `{"url":"` + recv.URL + `/hook","events":["user.created","user.updated","user.banned","session.revoked"]}`,
			status: 201, audit: []string{"webhook.created"}, check: func(t *testing.T, r response) {
				secret = r.str("secret")
				remember(secret, "webhook secret")
				if !strings.HasPrefix(secret, "whsec_") {
					t.Fatalf("create webhook: %s", r.Raw)
				}
				hook = fmt.Sprintf("%s/%d", base, int(r.num("webhook", "id")))
			}},
		{name: "an unknown event", body: `{"url":"` + recv.URL + `","events":["user.exploded"]}`, status: 400, code: "invalid_request"},
		{name: "another tenant's admin", method: "GET", header: by(other), pathFn: hookPath(""), status: 404, code: "tenant_not_found"},
		{name: "list", method: "GET", status: 200, check: func(t *testing.T, r response) {
			if strings.Contains(r.Raw, secret) || !strings.Contains(r.Raw, `"event_types"`) {
				t.Fatalf("webhook list: %s", r.Raw)
			}
		}},
		// A login that fails half-way (Redis down: no session) writes no event.
		{name: "a login with Redis down", path: "/t/acme/login", header: []string{}, bodyFn: func(e *env) string { return `{"code":"` + e.code("zed") + `"}` },
			before: func(e *env) { e.redisProxy.Down() }, cleanup: func(e *env) { e.redisProxy.Up(e.t) },
			status: 503, code: "unavailable", check: func(t *testing.T, r response) {
				if n := events(); n != 0 {
					t.Fatalf("a failed login left %d events", n)
				}
			}},
	})

	alice := e.loginFull("alice")
	session := alice.str("session")
	aliceID := alice.str("user", "id")
	e.loginFull("alice") // a returning login: user.login is not subscribed
	runStory(t, e.env, scenario{header: bearer(session)}, []scenario{
		{name: "a new nickname", method: "PATCH", path: "/t/acme/me", body: `{"nickname":"Alice"}`, status: 200},
		{name: "logout", path: "/t/acme/logout", status: 204, delta: state{sessions: -1}},
		{name: "ban", path: "/admin/api/tenants/acme/users/" + aliceID + "/ban", header: by(own), status: 200,
			delta: state{sessions: -1}, audit: []string{"user.banned"}},
		// globex's users make no events for acme's endpoint.
		{name: "a login at globex", path: "/t/globex/login", header: []string{}, bodyFn: func(e *env) string {
			c, _ := e.wx.IssueCode(otherAppID, "gina")
			return `{"code":"` + c + `"}`
		}, status: 200, delta: state{users: 1, identities: 1, sessions: 1}},
	})

	if _, err := e.hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := recv.events(t, secret)
	want := []string{"user.created", "user.updated", "session.revoked", "user.banned"}
	if strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("received %v, want %v", got, want)
	}
	recv.mu.Lock()
	all := strings.Join(recv.body, "\n")
	recv.mu.Unlock()
	if !strings.Contains(all, aliceID) || !strings.Contains(all, `"nickname":"Alice"`) || strings.Contains(all, session) {
		t.Fatalf("payloads: %s", all)
	}

	var delivery string // the first delivery's path
	deliveryPath := func(suffix string) func(*env) string { return func(*env) string { return delivery + suffix } }
	runStory(t, e.env, scenario{header: by(own)}, []scenario{
		{name: "deliveries", method: "GET", path: "/admin/api/tenants/acme/webhook-deliveries?status=succeeded", status: 200,
			check: func(t *testing.T, r response) {
				list := r.list("deliveries")
				if len(list) != 4 || !strings.Contains(r.Raw, `"response_body":"thanks"`) || !strings.Contains(r.Raw, `"response_status":200`) {
					t.Fatalf("deliveries: %s", r.Raw)
				}
				delivery = fmt.Sprintf("/admin/api/tenants/acme/webhook-deliveries/%d", int(get[float64](t, list[0], "id")))
			}},
		{name: "another tenant's admin replays", header: by(other), pathFn: deliveryPath("/replay"), status: 404, code: "tenant_not_found"},
		{name: "replay", pathFn: deliveryPath("/replay"), status: 201, audit: []string{"webhook.replayed"}},
	})
	if _, err := e.hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.events(t, secret)); n != 5 {
		t.Fatalf("%d deliveries after the replay, want 5", n)
	}

	// Disabling the endpoint stops new events; deleting it removes it.
	var eventsBefore int
	runStory(t, e.env, scenario{header: by(own)}, []scenario{
		{name: "delivery detail", method: "GET", pathFn: deliveryPath(""), status: 200, check: func(t *testing.T, r response) {
			if !strings.Contains(r.Raw, `"payload"`) {
				t.Fatalf("delivery detail: %s", r.Raw)
			}
		}},
		{name: "disable", method: "PATCH", pathFn: hookPath(""), body: `{"status":"disabled"}`, status: 200, audit: []string{"webhook.updated"},
			check: func(t *testing.T, r response) {
				if !strings.Contains(r.Raw, `"disabled"`) || !strings.Contains(r.Raw, `"session.revoked"`) {
					t.Fatalf("disable: %s", r.Raw)
				}
			}},
		{name: "a new user of a disabled endpoint", path: "/t/acme/login", header: []string{}, bodyFn: func(e *env) string { return `{"code":"` + e.code("dora") + `"}` },
			before: func(*env) { eventsBefore = events() }, status: 200, delta: state{users: 1, identities: 1, sessions: 1},
			check: func(t *testing.T, r response) {
				if events() != eventsBefore {
					t.Fatal("a disabled endpoint still gets events")
				}
			}},
		{name: "rotate the secret", pathFn: hookPath("/rotate-secret"), status: 200, audit: []string{"webhook.secret_rotated"},
			check: func(t *testing.T, r response) {
				remember(r.str("secret"), "webhook secret")
				if !strings.HasPrefix(r.str("secret"), "whsec_") {
					t.Fatalf("rotate secret: %s", r.Raw)
				}
			}},
		{name: "delete", method: "DELETE", pathFn: hookPath(""), status: 204, audit: []string{"webhook.deleted"}, check: func(t *testing.T, r response) {
			if n := e.count(`SELECT COUNT(*) FROM webhook_deliveries`); n != 0 {
				t.Fatalf("%d deliveries outlive their endpoint", n)
			}
		}},
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
