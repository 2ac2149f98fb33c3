package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAdminAppKinds: apps of every kind are added and removed through the
// admin API; bad input and other tenants' admins change nothing; the
// default mini-program stays; Open Platform apps have no credential test.
func TestAdminAppKinds(t *testing.T) {
	e := newAdminEnv(t)
	apps := "/admin/api/tenants/acme/apps"
	by := func(who caller) []string { return adminHeader(e.callers[who]) }
	// listedAs checks the list of apps shows appid as kind ("": not at all).
	listedAs := func(appid, kind string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			got := ""
			for _, a := range r.list("apps") {
				if get[string](t, a, "appid") == appid {
					got = get[string](t, a, "kind")
				}
			}
			if got != kind {
				t.Fatalf("%s listed as %q, want %q: %s", appid, got, kind, r.Raw)
			}
		}
	}
	var adds []scenario
	for i, kind := range []string{"officialaccount", "mobileapp", "website", "miniprogram"} {
		appid := fmt.Sprintf("wxkind%010d", i)
		adds = append(adds,
			scenario{name: "add a " + kind, body: fmt.Sprintf(`{"appid":%q,"secret":"kind-app-secret-0123456789","kind":%q}`, appid, kind),
				status: 201, audit: []string{"app.added"}},
			scenario{name: "the " + kind + " is listed", method: "GET", status: 200, check: listedAs(appid, kind)})
	}
	runStory(t, e.env, scenario{path: apps, header: by(own)}, adds)

	// Every refusal leaves the apps as they were: the runner's fingerprint
	// holds every row of the apps table.
	runScenarios(t, e.env, scenario{header: by(own)}, []scenario{
		{name: "unknown kind", path: apps, body: `{"appid":"wxkindbad0000001","secret":"kind-app-secret-0123456789","kind":"miniapp"}`, status: 400, code: "invalid_request"},
		{name: "a default official account", path: apps, body: `{"appid":"wxkindbad0000002","secret":"kind-app-secret-0123456789","kind":"officialaccount","default":true}`, status: 400, code: "invalid_request"},
		{name: "an empty secret", path: apps, body: `{"appid":"wxkindbad0000003","secret":"","kind":"website"}`, status: 400, code: "invalid_request"},
		{name: "remove the default mini-program", method: "DELETE", path: apps + "/" + demoAppID, status: 400, code: "invalid_request"},
		{name: "remove an unknown app", method: "DELETE", path: apps + "/wxnosuchapp00001", status: 404, code: "not_found"},
		{name: "remove through another tenant's admin", method: "DELETE", path: apps + "/wxkind0000000001", header: by(other), status: 404, code: "tenant_not_found"},
		{name: "remove signed out", method: "DELETE", path: apps + "/wxkind0000000001", header: by(signedOut), status: 401, code: "unauthenticated"},
		{name: "remove without CSRF", method: "DELETE", path: apps + "/wxkind0000000001", header: by(badCSRF), status: 403, code: "csrf_failed"},
		{name: "test a mobile app", path: apps + "/wxkind0000000001/test", status: 400, code: "invalid_request"},
	})

	runStory(t, e.env, scenario{path: apps + "/wxkind0000000001", header: by(own)}, []scenario{
		{name: "remove a mobile app", method: "DELETE", status: 200, audit: []string{"app.removed"}, check: func(t *testing.T, r response) {
			if strings.Contains(r.Raw, "wxkind0000000001") {
				t.Fatalf("the removed app is in the answer: %s", r.Raw)
			}
		}},
		{name: "the mobile app is no longer listed", method: "GET", path: apps, status: 200, check: listedAs("wxkind0000000001", "")},
	})
	// The removal's audit line names the app.
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'app.removed' AND target_id = 'wxkind0000000001'`); n != 1 {
		t.Fatalf("%d audit entries of the removal", n)
	}
}

// TestAdminRateLimits: a tenant's rate limits are shown with the defaults,
// changed through PATCH, refused out of bounds, and enforced.
func TestAdminRateLimits(t *testing.T) {
	e := newAdminEnv(t)
	hasty := func(*env) string { return `{"code":"` + e.code("hasty") + `"}` }
	runStory(t, e.env, scenario{path: "/admin/api/tenants/acme", header: adminHeader(e.callers[own])}, []scenario{
		{name: "defaults shown", method: "GET", status: 200, check: func(t *testing.T, r response) {
			if n := r.num("tenant", "settings", "rate_limit_defaults", "login_per_identity_per_minute"); n != 10 {
				t.Fatalf("defaults: %s", r.Raw)
			}
		}},
		{name: "a negative limit", method: "PATCH", body: `{"settings":{"rate_limits":{"login_per_identity_per_minute":-1}}}`, status: 400, code: "invalid_request"},
		{name: "a budget of 2 a minute", method: "PATCH", body: `{"settings":{"rate_limits":{"login_per_identity_per_minute":2}}}`, status: 200,
			audit: []string{"tenant.updated"}, check: func(t *testing.T, r response) {
				if got := r.obj("tenant", "settings")["rate_limits"]; fmt.Sprint(got) != "map[login_per_identity_per_minute:2]" {
					t.Fatalf("saved limits: %v (%s)", got, r.Raw)
				}
			}},
		// The same WeChat user, logging in a third time within the minute.
		{name: "first login", path: "/t/acme/login", header: []string{}, bodyFn: hasty, status: 200, delta: state{users: 1, identities: 1, sessions: 1}},
		{name: "second login", path: "/t/acme/login", header: []string{}, bodyFn: hasty, status: 200, delta: state{sessions: 1}},
		{name: "third login", path: "/t/acme/login", header: []string{}, bodyFn: hasty, status: 429, code: "rate_limited"},
	})
}

// TestRootSendsBrowsersToTheConsole: / redirects a browser to the console,
// and still answers API clients with the JSON 404.
func TestRootSendsBrowsersToTheConsole(t *testing.T) {
	e := newEnv(t)
	// The browser's request stays outside the runner, on a client of its
	// own: docs/openapi.yaml does not describe GET / → 302 (it reads / as
	// /{file} with an empty name), and every client the runner uses is
	// checked against it.
	req, _ := http.NewRequest("GET", e.base+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 302 || res.Header.Get("Location") != "/console/" {
		t.Fatalf("a browser at /: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	runScenarios(t, e, scenario{method: "GET", path: "/"}, []scenario{
		{name: "an API client without Accept", header: []string{"Accept", ""}, status: 404, code: "not_found"},
		{name: "an API client asking for JSON", header: []string{"Accept", "application/json"}, status: 404, code: "not_found"},
		{name: "an API client taking anything", header: []string{"Accept", "*/*"}, status: 404, code: "not_found"},
		{name: "POST from a browser", method: "POST", header: []string{"Accept", "text/html"}, status: 404, code: "not_found"},
	})
}
