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
	for _, c := range []caller{signedOut, other, badCSRF} {
		if r := e.as(e.callers[c], "POST", base, `{"name":"x"}`); r.Status < 400 {
			t.Fatalf("%s created a key: %d", c, r.Status)
		}
	}
	r := e.as(e.callers[own], "POST", base, `{"name":"orders"}`)
	key, _ := r.Body["key"].(string)
	if r.Status != 201 || !strings.HasPrefix(key, "mak_") {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := r.num("api_key", "id")

	list := e.as(e.callers[own], "GET", base, "")
	if strings.Contains(list.Raw, key) || !strings.Contains(list.Raw, key[:12]) || !strings.Contains(list.Raw, `"orders"`) {
		t.Fatalf("list shows the key, or not its prefix: %s", list.Raw)
	}
	if r := e.as(e.callers[other], "GET", base, ""); r.Status != 404 {
		t.Fatalf("another tenant's admin lists the keys: %d", r.Status)
	}
	if r := e.do("POST", "/t/acme/introspect", `{"token":"`+session+`"}`, bearer(key)...); r.Body["active"] != true {
		t.Fatalf("introspect with the new key: %s", r.Raw)
	}
	if r := e.as(e.callers[other], "DELETE", fmt.Sprintf("%s/%d", base, int(id)), ""); r.Status != 404 {
		t.Fatalf("another tenant's admin revoked it: %d", r.Status)
	}
	if r := e.as(e.callers[own], "DELETE", fmt.Sprintf("/admin/api/tenants/globex/api-keys/%d", int(id)), ""); r.Status != 404 {
		t.Fatalf("revoke through another tenant's path: %d", r.Status)
	}
	if r := e.as(e.callers[own], "DELETE", fmt.Sprintf("%s/%d", base, int(id)), ""); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/introspect", `{"token":"`+session+`"}`, bearer(key)...); r.Status != 401 {
		t.Fatalf("a revoked key still works: %d", r.Status)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('api_key.created', 'api_key.revoked')`); n != 2 {
		t.Fatalf("%d audit rows", n)
	}
}

func TestAdminSigningKeyRotation(t *testing.T) {
	e := newAdminEnv(t)
	key := e.apiKey(e.tenant.ID)
	rotate := func(body string) response {
		return e.as(e.callers[own], "POST", "/admin/api/tenants/acme/signing-keys/rotate", body)
	}
	kidOf := func(token string) string {
		h, _, _ := strings.Cut(token, ".")
		return h // compared as a whole: the header carries the kid
	}
	e.loginFull("alice") // the first token makes the tenant's first keys
	if r := rotate(""); r.Status != 409 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("rotation right after the first key: %d %s", r.Status, r.Raw)
	}
	e.clock.Add(16 * time.Minute) // the next key has been published long enough
	old := e.loginFull("bob")
	r := rotate(`{"alg":"EdDSA"}`)
	rot, _ := r.Body["rotation"].(map[string]any)
	if r.Status != 200 || rot["current"] == "" || rot["retired"] == "" {
		t.Fatalf("rotate: %d %s", r.Status, r.Raw)
	}
	jwks := e.do("GET", "/t/acme/.well-known/jwks.json", "")
	if n := len(jwks.list("keys")); n != 3 || !strings.Contains(jwks.Raw, `"OKP"`) {
		t.Fatalf("after rotation the JWKS has %d keys: %s", n, jwks.Raw)
	}
	// Tokens of the retired key stay valid until they expire; new tokens
	// come from the promoted key.
	if r := e.do("POST", "/t/acme/introspect", `{"token":"`+old.str("access_token")+`"}`, bearer(key)...); r.Body["active"] != true {
		t.Fatalf("token of the retired key: %s", r.Raw)
	}
	fresh := e.loginFull("carol")
	if kidOf(fresh.str("access_token")) == kidOf(old.str("access_token")) {
		t.Fatal("new tokens are still signed by the retired key")
	}
	list := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/signing-keys", "")
	if !strings.Contains(list.Raw, `"retired"`) || !strings.Contains(list.Raw, `"jwks_uri"`) || strings.Contains(list.Raw, "private") {
		t.Fatalf("signing keys: %s", list.Raw)
	}
	if r := e.as(e.callers[other], "POST", "/admin/api/tenants/acme/signing-keys/rotate", ""); r.Status != 404 {
		t.Fatalf("another tenant's admin rotated: %d", r.Status)
	}
	if r := rotate(`{"alg":"HS256"}`); r.Status != 400 {
		t.Fatalf("rotation to HS256: %d", r.Status)
	}
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
	r := e.as(e.callers[own], "POST", base, `{"url":"`+recv.URL+`/hook","events":["user.created","user.updated","user.banned","session.revoked"]}`)
	secret, _ := r.Body["secret"].(string)
	if r.Status != 201 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create webhook: %d %s", r.Status, r.Raw)
	}
	remember(secret, "webhook secret")
	id := int(r.num("webhook", "id"))
	if r := e.as(e.callers[own], "POST", base, `{"url":"`+recv.URL+`","events":["user.exploded"]}`); r.Status != 400 {
		t.Fatalf("unknown event accepted: %d", r.Status)
	}
	if r := e.as(e.callers[other], "GET", fmt.Sprintf("%s/%d", base, id), ""); r.Status != 404 {
		t.Fatalf("another tenant's admin sees the webhook: %d", r.Status)
	}
	if r := e.as(e.callers[own], "GET", base, ""); strings.Contains(r.Raw, secret) || !strings.Contains(r.Raw, `"event_types"`) {
		t.Fatalf("webhook list: %s", r.Raw)
	}

	// A login that fails half-way (Redis down: no session) writes no event.
	e.redisProxy.Down()
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("zed")+`"}`); r.Status != 503 {
		t.Fatalf("login with Redis down: %d", r.Status)
	}
	e.redisProxy.Up(t)
	if n := e.count(`SELECT COUNT(*) FROM webhook_events`); n != 0 {
		t.Fatalf("a failed login left %d events", n)
	}

	alice := e.loginFull("alice")
	session := alice.str("session")
	aliceID := alice.str("user", "id")
	e.loginFull("alice") // a returning login: user.login is not subscribed
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"Alice"}`, bearer(session)...); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	if r := e.do("POST", "/t/acme/logout", "", bearer(session)...); r.Status != 204 {
		t.Fatal(r.Raw)
	}
	if r := e.as(e.callers[own], "POST", "/admin/api/tenants/acme/users/"+aliceID+"/ban", ""); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	// globex's users make no events for acme's endpoint.
	gc, _ := e.wx.IssueCode(otherAppID, "gina")
	e.do("POST", "/t/globex/login", `{"code":"`+gc+`"}`)

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

	ds := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/webhook-deliveries?status=succeeded", "")
	list, _ := ds.Body["deliveries"].([]any)
	if len(list) != 4 || !strings.Contains(ds.Raw, `"response_body":"thanks"`) || !strings.Contains(ds.Raw, `"response_status":200`) {
		t.Fatalf("deliveries: %s", ds.Raw)
	}
	first := int(get[float64](t, list[0], "id"))
	if r := e.as(e.callers[other], "POST", fmt.Sprintf("/admin/api/tenants/acme/webhook-deliveries/%d/replay", first), ""); r.Status != 404 {
		t.Fatalf("another tenant's admin replayed: %d", r.Status)
	}
	if r := e.as(e.callers[own], "POST", fmt.Sprintf("/admin/api/tenants/acme/webhook-deliveries/%d/replay", first), ""); r.Status != 201 {
		t.Fatalf("replay: %d %s", r.Status, r.Raw)
	}
	if _, err := e.hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.events(t, secret)); n != 5 {
		t.Fatalf("%d deliveries after the replay, want 5", n)
	}
	detail := e.as(e.callers[own], "GET", fmt.Sprintf("/admin/api/tenants/acme/webhook-deliveries/%d", first), "")
	if !strings.Contains(detail.Raw, `"payload"`) {
		t.Fatalf("delivery detail: %s", detail.Raw)
	}

	// Disabling the endpoint stops new events; deleting it removes it.
	if r := e.as(e.callers[own], "PATCH", fmt.Sprintf("%s/%d", base, id), `{"status":"disabled"}`); r.Status != 200 ||
		!strings.Contains(r.Raw, `"disabled"`) || !strings.Contains(r.Raw, `"session.revoked"`) {
		t.Fatalf("disable: %d %s", r.Status, r.Raw)
	}
	before := e.count(`SELECT COUNT(*) FROM webhook_events`)
	e.loginFull("dora")
	if after := e.count(`SELECT COUNT(*) FROM webhook_events`); after != before {
		t.Fatal("a disabled endpoint still gets events")
	}
	if r := e.as(e.callers[own], "POST", fmt.Sprintf("%s/%d/rotate-secret", base, id), ""); !strings.HasPrefix(fmt.Sprint(r.Body["secret"]), "whsec_") {
		t.Fatalf("rotate secret: %s", r.Raw)
	} else {
		remember(r.str("secret"), "webhook secret")
	}
	if r := e.as(e.callers[own], "DELETE", fmt.Sprintf("%s/%d", base, id), ""); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if n := e.count(`SELECT COUNT(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries outlive their endpoint", n)
	}
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
