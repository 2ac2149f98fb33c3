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
	kindOf := func(appid string) string {
		for _, a := range e.as(e.callers[own], "GET", apps, "").list("apps") {
			if m := a.(map[string]any); m["appid"] == appid {
				return m["kind"].(string)
			}
		}
		return ""
	}
	for i, kind := range []string{"officialaccount", "mobileapp", "website", "miniprogram"} {
		appid := fmt.Sprintf("wxkind%010d", i)
		r := e.as(e.callers[own], "POST", apps, fmt.Sprintf(`{"appid":%q,"secret":"kind-app-secret-0123456789","kind":%q}`, appid, kind))
		if r.Status != 201 || kindOf(appid) != kind {
			t.Fatalf("add a %s: %d %s", kind, r.Status, r.Raw)
		}
	}
	for _, c := range []struct {
		name, method, path, body string
		who                      caller
		status                   int
		code                     string
	}{
		{"unknown kind", "POST", apps, `{"appid":"wxkindbad0000001","secret":"kind-app-secret-0123456789","kind":"miniapp"}`, own, 400, "invalid_request"},
		{"a default official account", "POST", apps, `{"appid":"wxkindbad0000002","secret":"kind-app-secret-0123456789","kind":"officialaccount","default":true}`, own, 400, "invalid_request"},
		{"an empty secret", "POST", apps, `{"appid":"wxkindbad0000003","secret":"","kind":"website"}`, own, 400, "invalid_request"},
		{"remove the default mini-program", "DELETE", apps + "/" + demoAppID, "", own, 400, "invalid_request"},
		{"remove an unknown app", "DELETE", apps + "/wxnosuchapp00001", "", own, 404, "not_found"},
		{"remove through another tenant's admin", "DELETE", apps + "/wxkind0000000001", "", other, 404, "tenant_not_found"},
		{"remove signed out", "DELETE", apps + "/wxkind0000000001", "", signedOut, 401, "unauthenticated"},
		{"remove without CSRF", "DELETE", apps + "/wxkind0000000001", "", badCSRF, 403, "csrf_failed"},
		{"test a mobile app", "POST", apps + "/wxkind0000000001/test", "", own, 400, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			before := e.fingerprint()
			n := e.count(`SELECT COUNT(*) FROM apps`)
			r := e.as(e.callers[c.who], c.method, c.path, c.body)
			if r.Status != c.status || r.errCode() != c.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), c.status, c.code, r.Raw)
			}
			if e.fingerprint() != before || e.count(`SELECT COUNT(*) FROM apps`) != n {
				t.Fatal("a refused call changed something")
			}
		})
	}
	e.t = t
	r := e.as(e.callers[own], "DELETE", apps+"/wxkind0000000001", "")
	if r.Status != 200 || kindOf("wxkind0000000001") != "" || strings.Contains(r.Raw, "wxkind0000000001") {
		t.Fatalf("remove a mobile app: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'app.removed' AND target_id = 'wxkind0000000001'`); n != 1 {
		t.Fatalf("%d audit entries of the removal", n)
	}
}

// TestAdminRateLimits: a tenant's rate limits are shown with the defaults,
// changed through PATCH, refused out of bounds, and enforced.
func TestAdminRateLimits(t *testing.T) {
	e := newAdminEnv(t)
	path := "/admin/api/tenants/acme"
	s := e.as(e.callers[own], "GET", path, "").obj("tenant", "settings")
	if d, _ := s["rate_limit_defaults"].(map[string]any); d["login_per_identity_per_minute"] != float64(10) {
		t.Fatalf("defaults: %v", s)
	}
	if r := e.as(e.callers[own], "PATCH", path, `{"settings":{"rate_limits":{"login_per_identity_per_minute":-1}}}`); r.Status != 400 || r.errCode() != "invalid_request" {
		t.Fatalf("a negative limit: %d %s", r.Status, r.Raw)
	}
	r := e.as(e.callers[own], "PATCH", path, `{"settings":{"rate_limits":{"login_per_identity_per_minute":2}}}`)
	if got := r.obj("tenant", "settings")["rate_limits"]; fmt.Sprint(got) != "map[login_per_identity_per_minute:2]" {
		t.Fatalf("saved limits: %v (%s)", got, r.Raw)
	}
	// The same WeChat user, logging in a third time within the minute.
	statuses := []int{}
	for i := 0; i < 3; i++ {
		statuses = append(statuses, e.do("POST", "/t/acme/login", `{"code":"`+e.code("hasty")+`"}`).Status)
	}
	if fmt.Sprint(statuses) != "[200 200 429]" {
		t.Fatalf("logins under a budget of 2 a minute: %v", statuses)
	}
}

// TestRootSendsBrowsersToTheConsole: / redirects a browser to the console,
// and still answers API clients with the JSON 404.
func TestRootSendsBrowsersToTheConsole(t *testing.T) {
	e := newEnv(t)
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
	for _, accept := range []string{"", "application/json", "*/*"} {
		r := e.do("GET", "/", "", "Accept", accept)
		if r.Status != 404 || r.errCode() != "not_found" {
			t.Fatalf("an API client (Accept %q) at /: %d %s", accept, r.Status, r.Raw)
		}
	}
	if r := e.do("POST", "/", "", "Accept", "text/html"); r.Status != 404 {
		t.Fatalf("POST / from a browser: %d", r.Status)
	}
}
