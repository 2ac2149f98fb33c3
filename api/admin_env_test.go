package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"miniauth/api"
	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/audit"
)

// adminEnv is an env with the people who use the console: a platform
// admin, an admin of acme ("own") and an admin of globex ("other").
type adminEnv struct {
	*env
	globex  *tenants.Tenant
	admins  *admins.Store
	callers map[caller]adminClient
}

// caller is who makes an admin API request in the scenario tables.
type caller int

const (
	platform  caller = iota // platform admin
	own                     // admin of the tenant in the path (acme)
	other                   // admin of another tenant (globex)
	signedOut               // no cookie at all
	badCSRF                 // the platform admin's cookie with a wrong CSRF token
	nCallers
)

func (c caller) String() string {
	return [...]string{"platform admin", "own tenant admin", "other tenant's admin", "signed out", "bad CSRF"}[c]
}

const (
	platformEmail = "root@example.com"
	acmeEmail     = "ops@acme.example"
	globexEmail   = "ops@globex.example"
	adminPassword = "correct horse battery"
	globexSecret  = "other-app-secret-0123456789"
)

type adminClient struct{ cookie, csrf string }

func newAdminEnv(t *testing.T, opts ...func(*api.Deps)) *adminEnv {
	t.Helper()
	return newTunedAdminEnv(t, nil, opts...)
}

// newTunedAdminEnv is newAdminEnv with tune changing the API's settings.
func newTunedAdminEnv(t *testing.T, tune func(*api.Base, *api.Settings), opts ...func(*api.Deps)) *adminEnv {
	t.Helper()
	e := &adminEnv{env: newTunedEnv(t, tune, opts...)}
	e.admins = admins.NewStore(e.db)
	ctx := context.Background()
	g, err := e.reg.Create(ctx, tenants.NewTenant{
		Slug: "globex", Name: "Globex", AppID: otherAppID, Secret: globexSecret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	e.globex = e.tokensOnLogin(g)
	for _, a := range []admins.New{
		{Email: platformEmail, Password: adminPassword, Role: admins.RolePlatform},
		{Email: acmeEmail, Password: adminPassword, Role: admins.RoleTenant, TenantID: e.tenant.ID},
		{Email: globexEmail, Password: adminPassword, Role: admins.RoleTenant, TenantID: g.ID},
	} {
		if _, err := e.admins.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	p := e.signIn(platformEmail, adminPassword)
	e.callers = map[caller]adminClient{
		platform:  p,
		own:       e.signIn(acmeEmail, adminPassword),
		other:     e.signIn(globexEmail, adminPassword),
		signedOut: {},
		badCSRF:   {cookie: p.cookie, csrf: strings.Repeat("x", 43)},
	}
	return e
}

// signIn signs an admin in and returns the cookie and CSRF token.
func (e *adminEnv) signIn(email, password string) adminClient {
	e.t.Helper()
	r := e.do("POST", "/admin/api/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
	if r.Status != 200 {
		e.t.Fatalf("sign-in %s: %d %s", email, r.Status, r.Raw)
	}
	return adminClient{cookie: sessionCookie(e.t, r), csrf: r.str("csrf_token")}
}

func sessionCookie(t *testing.T, r response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "miniauth_admin" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("no console cookie in %v", r.Header["Set-Cookie"])
	return ""
}

// as makes an admin API request as client c.
func (e *adminEnv) as(c adminClient, method, path, body string) response {
	e.t.Helper()
	var h []string
	if c.cookie != "" {
		h = append(h, "Cookie", "miniauth_admin="+c.cookie)
	}
	if c.csrf != "" {
		h = append(h, "X-CSRF-Token", c.csrf)
	}
	return e.do(method, path, body, h...)
}

// userID logs user in (through the public API) and returns the public id.
func (e *adminEnv) userID(user string) string {
	e.t.Helper()
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s\nlog: %s", user, r.Status, r.Raw, lastLine(e.logs.String(), `"request failed"`))
	}
	return r.str("user", "id")
}

// lastLine is the last line of log holding marker, for failure messages.
func lastLine(log, marker string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], marker) {
			return lines[i]
		}
	}
	return ""
}
