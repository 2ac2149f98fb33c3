package api_test

import (
	"strings"
	"testing"
)

func TestAdminRegistration(t *testing.T) {
	e := newAdminEnv(t)
	csvBody := "phone,name,external_id\n13700000001,王小明,crm-1\n+86 137 0000 0002,李雷,crm-2\n"
	jsonBody := `[{"phone":"13700000003","name":"韩梅梅","external_id":"crm-3"}]`
	scenarios := []struct {
		name        string
		who         caller
		method      string
		path        string
		body        string
		contentType string
		status      int
		want        string // in the body
	}{
		{"import CSV", own, "POST", "/admin/api/tenants/acme/users/import", csvBody, "text/csv", 200, `"created":2`},
		{"import JSON", platform, "POST", "/admin/api/tenants/acme/users/import", jsonBody, "", 200, `"created":1`},
		{"import again updates", own, "POST", "/admin/api/tenants/acme/users/import", csvBody, "text/csv", 200, `"updated":2`},
		{"bad lines", own, "POST", "/admin/api/tenants/acme/users/import", "phone,name\n123,x\n13700000009,ok\n", "text/csv", 400, `"line":2`},
		{"no phone column", own, "POST", "/admin/api/tenants/acme/users/import", "name\nx\n", "text/csv", 400, "invalid_request"},
		{"other tenant's admin", other, "POST", "/admin/api/tenants/acme/users/import", jsonBody, "", 404, "tenant_not_found"},
		{"signed out", signedOut, "POST", "/admin/api/tenants/acme/users/import", jsonBody, "", 401, "unauthenticated"},
		{"bad CSRF", badCSRF, "POST", "/admin/api/tenants/acme/users/import", jsonBody, "", 403, "csrf_failed"},
		{"set web origins", own, "PUT", "/admin/api/tenants/acme/web",
			`{"allowed_origins":["https://h5.acme.example"],"redirect_uris":["https://h5.acme.example/done"]}`, "", 200, "h5.acme.example/done"},
		{"read web origins", own, "GET", "/admin/api/tenants/acme/web", "", "", 200, `"allowed_origins":["https://h5.acme.example"]`},
		{"a wildcard origin", own, "PUT", "/admin/api/tenants/acme/web", `{"allowed_origins":["*"],"redirect_uris":[]}`, "", 400, "invalid_request"},
		{"add an official account", own, "POST", "/admin/api/tenants/acme/official-accounts",
			`{"appid":"wxacmeoa000001","secret":"acme-official-account-secret"}`, "", 201, "officialaccount"},
		{"official account taken", own, "POST", "/admin/api/tenants/acme/official-accounts",
			`{"appid":"wxacmeoa000001","secret":"acme-official-account-secret"}`, "", 409, "conflict"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			c := e.callers[sc.who]
			h := []string{}
			if c.cookie != "" {
				h = append(h, "Cookie", "miniauth_admin="+c.cookie)
			}
			if c.csrf != "" {
				h = append(h, "X-CSRF-Token", c.csrf)
			}
			if sc.contentType != "" {
				h = append(h, "Content-Type", sc.contentType)
			}
			r := e.do(sc.method, sc.path, sc.body, h...)
			if r.Status != sc.status || !strings.Contains(r.Raw, sc.want) {
				t.Fatalf("%d %s, want %d with %s", r.Status, r.Raw, sc.status, sc.want)
			}
		})
	}
	e.t = t
	if n := e.count("SELECT COUNT(*) FROM users WHERE external_id LIKE 'crm-%'"); n != 3 {
		t.Fatalf("%d imported users, want 3", n)
	}
	// Admins find imported users by phone (any spelling) and external id.
	for _, q := range []string{"13700000001", "%2B86%20137%200000%200001", "crm-1"} {
		r := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/users?q="+q, "")
		if r.Status != 200 || !strings.Contains(r.Raw, "王小明") {
			t.Fatalf("search %s: %d %s", q, r.Status, r.Raw)
		}
	}
	// The settings reached the public API: CORS for the new origin.
	r := e.do("GET", "/t/acme/me", "", "Origin", "https://h5.acme.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "https://h5.acme.example" {
		t.Fatalf("CORS after the admin change: %v", r.Header)
	}
}
