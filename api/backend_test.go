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
	runScenarios(t, e, scenario{}, []scenario{
		{name: "login", path: "/t/acme/login", bodyFn: func(e *env) string { return `{"code":"` + e.code("alice") + `"}` },
			status: 200, delta: state{1, 1, 1}, check: func(t *testing.T, r response) {
				at := r.str("access_token")
				if r.str("token_type") != "Bearer" || r.num("access_token_expires_in") != 900 {
					t.Fatalf("login answer = %s", r.Raw)
				}
				c, err := e.tokens.Verify(context.Background(), at, sessions.Expect{TenantID: e.tenant.ID, Issuer: e.base + "/t/acme", Audience: "acme"})
				if err != nil {
					t.Fatalf("access token does not verify: %v", err)
				}
				if c.Subject != r.str("user", "id") || c.OpenID != e.wx.OpenID(demoAppID, "alice") || c.AppID != demoAppID ||
					c.SessionID != sessions.IDOf(r.str("session")) {
					t.Fatalf("claims = %+v", c)
				}
			}},
	})
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	session := e.login("alice")
	runScenarios(t, e, scenario{path: "/t/acme/token"}, []scenario{
		{name: "with a session", header: bearer(session), status: 200, check: func(t *testing.T, r response) {
			if _, err := e.tokens.Verify(context.Background(), r.str("access_token"), sessions.Expect{TenantID: e.tenant.ID,
				Issuer: e.base + "/t/acme", Audience: "acme"}); err != nil || r.num("access_token_expires_in") != 900 {
				t.Fatalf("token answer %s: %v", r.Raw, err)
			}
		}},
		{name: "without a session", header: []string{}, status: 401, code: "invalid_session"},
		{name: "with an API key", header: bearer(e.apiKey(e.tenant.ID)), status: 401, code: "invalid_session"},
		{name: "with garbage", header: bearer("mas_nope"), status: 401, code: "invalid_session"},
	})
}

func TestJWKS(t *testing.T) {
	e := newAdminEnv(t)
	var keys []any
	var etag string
	runStory(t, e.env, scenario{method: "GET", path: "/t/acme/.well-known/jwks.json"}, []scenario{
		{name: "acme's keys", status: 200, check: func(t *testing.T, r response) {
			keys, etag = r.list("keys"), r.Header.Get("ETag")
			if len(keys) != 2 || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=300") || etag == "" {
				t.Fatalf("jwks: %v %s", r.Header, r.Raw)
			}
			k := get[map[string]any](t, keys[0])
			if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] == "" || k["d"] != nil {
				t.Fatalf("key = %v", k)
			}
		}},
		{name: "conditional GET", headerFn: func(*env) []string { return []string{"If-None-Match", etag} }, raw: true, status: 304},
		{name: "another tenant's keys", path: "/t/globex/.well-known/jwks.json", status: 200, check: func(t *testing.T, r response) {
			for _, ok := range r.list("keys") {
				for _, ak := range keys {
					if get[any](t, ok, "kid") == get[any](t, ak, "kid") {
						t.Fatal("two tenants publish the same key")
					}
				}
			}
		}},
		{name: "no tenant", path: "/t/nobody/.well-known/jwks.json", status: 404, code: "tenant_not_found"},
	})
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
	// active is alice's token, described in full; inactive says nothing
	// but that.
	active := func(t *testing.T, r response) {
		if r.Body["active"] != true || r.Body["user_id"] != aliceID || r.Body["sub"] != aliceID ||
			r.Body["openid"] != e.wx.OpenID(demoAppID, "alice") || r.Body["app_id"] != demoAppID ||
			r.Body["exp"] == nil || r.Body["iat"] == nil {
			t.Fatalf("active answer = %s", r.Raw)
		}
	}
	inactive := func(t *testing.T, r response) {
		if r.Body["active"] != false || len(r.Body) != 1 {
			t.Fatalf("want only active = false: %s", r.Raw)
		}
	}
	runScenarios(t, e.env, scenario{path: "/t/acme/introspect", header: bearer(key)}, []scenario{
		{name: "session token", body: body(session), status: 200, check: active},
		{name: "access token", body: body(access), status: 200, check: active},
		{name: "no API key", header: []string{}, body: body(session), status: 401, code: "invalid_api_key"},
		{name: "session token as API key", header: bearer(session), body: body(session), status: 401, code: "invalid_api_key"},
		{name: "another tenant's API key", header: bearer(globexKey), body: body(session), status: 401, code: "invalid_api_key"},
		{name: "revoked API key", header: bearer(revoked), body: body(session), status: 401, code: "invalid_api_key"},
		{name: "missing token", body: `{}`, status: 400, code: "invalid_request"},
		{name: "garbage token", body: body("hello"), status: 200, check: inactive},
		{name: "tampered access token", body: body(tampered), status: 200, check: inactive},
		{name: "another tenant's session", body: body(ginaSession), status: 200, check: inactive},
		{name: "another tenant's access token", body: body(ginaAccess), status: 200, check: inactive},
	})

	// A session ended by logout takes its access tokens with it; banned
	// users' tokens, expired access tokens and a disabled tenant's are
	// inactive too, and a disabled tenant's backend still authenticates.
	bob, carol := e.loginFull("bob"), e.loginFull("carol")
	introspect := func(name, tok string) scenario {
		return scenario{name: name, path: "/t/acme/introspect", header: bearer(key), body: body(tok), status: 200, check: inactive}
	}
	own := e.callers[own]
	runStory(t, e.env, scenario{}, []scenario{
		{name: "bob logs out", path: "/t/acme/logout", header: bearer(bob.str("session")), status: 204, delta: state{0, 0, -1}},
		introspect("logged-out session", bob.str("session")),
		introspect("access token of a logged-out session", bob.str("access_token")),
		{name: "carol banned", path: "/admin/api/tenants/acme/users/" + carol.str("user", "id") + "/ban", header: adminHeader(own),
			status: 200, delta: state{0, 0, -1}, audit: []string{"user.banned"}},
		introspect("banned user's session", carol.str("session")),
		introspect("banned user's access token", carol.str("access_token")),
		withClock(introspect("expired access token", access), e.env, 16*time.Minute),
		{name: "acme disabled, its session", path: "/t/acme/introspect", header: bearer(key), body: body(session), status: 200, check: inactive,
			before: func(e *env) {
				if err := e.reg.SetStatus(ctx, e.tenant.ID, tenants.StatusDisabled, audit.CLI); err != nil {
					e.t.Fatal(err)
				}
				e.reg.Invalidate(ctx, "acme")
			}},
		introspect("disabled tenant's access token", access),
		{name: "access token from a disabled tenant", path: "/t/acme/token", header: bearer(session), status: 403, code: "tenant_disabled"},
	})
}

// withClock runs row sc with the clock moved on by d, and puts it back
// afterwards.
func withClock(sc scenario, e *env, d time.Duration) scenario {
	sc.before = func(*env) { e.clock.Add(d) }
	sc.cleanup = func(*env) { e.clock.Add(-d) }
	return sc
}

func TestAPIKeysNeverLogged(t *testing.T) {
	e := newEnv(t)
	key := e.apiKey(e.tenant.ID)
	runScenarios(t, e, scenario{path: "/t/acme/introspect"}, []scenario{
		{name: "the key", header: bearer(key), body: `{"token":"x"}`, status: 200},
		{name: "the key, altered", header: bearer(key[:len(key)-2] + "zz"), body: `{"token":"x"}`, status: 401, code: "invalid_api_key"},
	})
	if strings.Contains(e.logs.String(), key[8:]) {
		t.Fatal("an API key reached the log")
	}
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM api_keys WHERE last_used_at IS NOT NULL`); err != nil || n != 1 {
		t.Fatalf("last use not recorded: %d %v", n, err)
	}
}
