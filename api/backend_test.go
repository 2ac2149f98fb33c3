package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sessions"
)

// apiKey makes an API key for a tenant, directly in the store.
func (e *env) apiKey(tenantID int64) string {
	e.t.Helper()
	key, _, err := e.apiKeys.Create(context.Background(), tenantID, "test backend", audit.CLI)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(key, "API key")
	return key
}

// loginFull logs user in and returns the whole answer.
func (e *env) loginFull(user string) response {
	e.t.Helper()
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.Status, r.Raw)
	}
	return r
}

func TestLoginReturnsAccessToken(t *testing.T) {
	e := newEnv(t)
	r := e.loginFull("alice")
	at, _ := r.Body["access_token"].(string)
	if at == "" || r.Body["token_type"] != "Bearer" || r.Body["access_token_expires_in"] != float64(900) {
		t.Fatalf("login answer = %s", r.Raw)
	}
	c, err := e.tokens.Verify(context.Background(), at, sessions.Expect{TenantID: e.tenant.ID, Issuer: e.base + "/t/acme", Audience: "acme"})
	if err != nil {
		t.Fatalf("access token does not verify: %v", err)
	}
	user := r.obj("user")
	if c.Subject != user["id"] || c.OpenID != e.wx.OpenID(demoAppID, "alice") || c.AppID != demoAppID ||
		c.SessionID != sessions.IDOf(r.str("session")) {
		t.Fatalf("claims = %+v", c)
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	session := e.login("alice")
	for _, sc := range []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"with a session", bearer(session), 200, ""},
		{"without a session", nil, 401, "invalid_session"},
		{"with an API key", bearer(e.apiKey(e.tenant.ID)), 401, "invalid_session"},
		{"with garbage", bearer("mas_nope"), 401, "invalid_session"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			r := e.do("POST", "/t/acme/token", "", sc.header...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if sc.status == 200 {
				at := r.str("access_token")
				if _, err := e.tokens.Verify(context.Background(), at, sessions.Expect{TenantID: e.tenant.ID,
					Issuer: e.base + "/t/acme", Audience: "acme"}); err != nil || r.Body["access_token_expires_in"] != float64(900) {
					t.Fatalf("token answer %s: %v", r.Raw, err)
				}
			}
		})
	}
}

func TestJWKS(t *testing.T) {
	e := newAdminEnv(t)
	r := e.do("GET", "/t/acme/.well-known/jwks.json", "")
	keys, _ := r.Body["keys"].([]any)
	if r.Status != 200 || len(keys) != 2 || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=300") || r.Header.Get("ETag") == "" {
		t.Fatalf("jwks: %d %v %s", r.Status, r.Header, r.Raw)
	}
	k := get[map[string]any](t, keys[0])
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" || k["d"] != nil {
		t.Fatalf("key = %v", k)
	}
	if again := e.do("GET", "/t/acme/.well-known/jwks.json", "", "If-None-Match", r.Header.Get("ETag")); again.Status != 304 {
		t.Fatalf("conditional GET: %d", again.Status)
	}
	other := e.do("GET", "/t/globex/.well-known/jwks.json", "")
	for _, ok := range other.list("keys") {
		for _, ak := range keys {
			if get[any](t, ok, "kid") == get[any](t, ak, "kid") {
				t.Fatal("two tenants publish the same key")
			}
		}
	}
	if r := e.do("GET", "/t/nobody/.well-known/jwks.json", ""); r.Status != 404 {
		t.Fatalf("jwks of no tenant: %d", r.Status)
	}
}

func TestIntrospect(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	key := e.apiKey(e.tenant.ID)
	globexKey := e.apiKey(e.globex.ID)
	revoked, revokedRow, _ := e.apiKeys.Create(ctx, e.tenant.ID, "old", audit.CLI)
	remember(revoked, "API key")
	if err := e.apiKeys.Revoke(ctx, e.tenant.ID, revokedRow.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}

	alice := e.loginFull("alice")
	session, access := alice.str("session"), alice.str("access_token")
	aliceID := alice.str("user", "id")
	gc, _ := e.wx.IssueCode(otherAppID, "gina")
	gina := e.do("POST", "/t/globex/login", `{"code":"`+gc+`"}`)
	ginaSession, ginaAccess := gina.str("session"), gina.str("access_token")
	parts := strings.Split(access, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	body := func(tok string) string { return `{"token":"` + tok + `"}` }
	type scenario struct {
		name   string
		key    string
		body   string
		status int
		code   string
		active bool
	}
	scenarios := []scenario{
		{"session token", key, body(session), 200, "", true},
		{"access token", key, body(access), 200, "", true},
		{"no API key", "", body(session), 401, "invalid_api_key", false},
		{"session token as API key", session, body(session), 401, "invalid_api_key", false},
		{"another tenant's API key", globexKey, body(session), 401, "invalid_api_key", false},
		{"revoked API key", revoked, body(session), 401, "invalid_api_key", false},
		{"missing token", key, `{}`, 400, "invalid_request", false},
		{"garbage token", key, body("hello"), 200, "", false},
		{"tampered access token", key, body(tampered), 200, "", false},
		{"another tenant's session", key, body(ginaSession), 200, "", false},
		{"another tenant's access token", key, body(ginaAccess), 200, "", false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			var h []string
			if sc.key != "" {
				h = bearer(sc.key)
			}
			r := e.do("POST", "/t/acme/introspect", sc.body, h...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if sc.status != 200 {
				return
			}
			if r.Body["active"] != sc.active {
				t.Fatalf("active = %v, want %v: %s", r.Body["active"], sc.active, r.Raw)
			}
			if !sc.active && len(r.Body) != 1 {
				t.Fatalf("an inactive answer says more than that: %s", r.Raw)
			}
			if sc.active && (r.Body["user_id"] != aliceID || r.Body["sub"] != aliceID ||
				r.Body["openid"] != e.wx.OpenID(demoAppID, "alice") || r.Body["app_id"] != demoAppID ||
				r.Body["exp"] == nil || r.Body["iat"] == nil) {
				t.Fatalf("active answer = %s", r.Raw)
			}
		})
	}
	e.t = t

	inactive := func(what, tok string) {
		t.Helper()
		r := e.do("POST", "/t/acme/introspect", body(tok), bearer(key)...)
		if r.Status != 200 || r.Body["active"] != false {
			t.Fatalf("%s: %d %s", what, r.Status, r.Raw)
		}
	}
	// A session ended by logout takes its access tokens with it.
	bob := e.loginFull("bob")
	if r := e.do("POST", "/t/acme/logout", "", bearer(bob.str("session"))...); r.Status != 204 {
		t.Fatal(r.Raw)
	}
	inactive("logged-out session", bob.str("session"))
	inactive("access token of a logged-out session", bob.str("access_token"))

	// Banned users' tokens are inactive.
	carol := e.loginFull("carol")
	carolID := carol.str("user", "id")
	if r := e.as(e.callers[own], "POST", "/admin/api/tenants/acme/users/"+carolID+"/ban", ""); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	inactive("banned user's session", carol.str("session"))
	inactive("banned user's access token", carol.str("access_token"))

	// Expired access tokens are inactive.
	e.clock.Add(16 * time.Minute)
	inactive("expired access token", access)
	e.clock.Add(-16 * time.Minute)

	// A disabled tenant's backend still authenticates, and learns that
	// nothing is active.
	if err := e.reg.SetStatus(ctx, e.tenant.ID, tenants.StatusDisabled, audit.CLI); err != nil {
		t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
	inactive("disabled tenant's session", session)
	inactive("disabled tenant's access token", access)
	if r := e.do("POST", "/t/acme/token", "", bearer(session)...); r.Status != 403 {
		t.Fatalf("access token from a disabled tenant: %d", r.Status)
	}
}

func TestAPIKeysNeverLogged(t *testing.T) {
	e := newEnv(t)
	key := e.apiKey(e.tenant.ID)
	e.do("POST", "/t/acme/introspect", `{"token":"x"}`, bearer(key)...)
	e.do("POST", "/t/acme/introspect", `{"token":"x"}`, bearer(key[:len(key)-2]+"zz")...)
	if strings.Contains(e.logs.String(), key[8:]) {
		t.Fatal("an API key reached the log")
	}
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL`); err != nil || n != 1 {
		t.Fatalf("last use not recorded: %d %v", n, err)
	}
}
