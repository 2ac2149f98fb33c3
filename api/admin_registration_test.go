package api_test

import (
	"strings"
	"testing"
)

func TestAdminRegistration(t *testing.T) {
	e := newAdminEnv(t)
	csvBody := "phone,name,external_id\n13700000001,王小明,crm-1\n+86 137 0000 0002,李雷,crm-2\n"
	jsonBody := `[{"phone":"13700000003","name":"韩梅梅","external_id":"crm-3"}]`
	by := func(who caller, contentType ...string) []string {
		return append(adminHeader(e.callers[who]), contentType...)
	}
	csv := []string{"Content-Type", "text/csv"}
	has := func(want string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if !strings.Contains(r.Raw, want) {
				t.Fatalf("%d %s, want it with %s", r.Status, r.Raw, want)
			}
		}
	}
	imp := "/admin/api/tenants/acme/users/import"
	imported := []string{"users.imported"}
	rows := []scenario{
		{name: "import CSV", header: by(own, csv...), path: imp, body: csvBody, status: 200, delta: state{users: 2}, audit: imported, check: has(`"created":2`)},
		{name: "import JSON", header: by(platform), path: imp, body: jsonBody, status: 200, delta: state{users: 1}, audit: imported, check: has(`"created":1`)},
		{name: "import again updates", header: by(own, csv...), path: imp, body: csvBody, status: 200, audit: imported, check: has(`"updated":2`)},
		{name: "bad lines", header: by(own, csv...), path: imp, body: "phone,name\n123,x\n13700000009,ok\n", status: 400, code: "invalid_request", check: has(`"line":2`)},
		{name: "no phone column", header: by(own, csv...), path: imp, body: "name\nx\n", status: 400, code: "invalid_request"},
		{name: "other tenant's admin", header: by(other), path: imp, body: jsonBody, status: 404, code: "tenant_not_found"},
		{name: "signed out", header: by(signedOut), path: imp, body: jsonBody, status: 401, code: "unauthenticated"},
		{name: "bad CSRF", header: by(badCSRF), path: imp, body: jsonBody, status: 403, code: "csrf_failed"},
		{name: "set web origins", header: by(own), method: "PUT", path: "/admin/api/tenants/acme/web",
			body: `{"allowed_origins":["https://h5.acme.example"],"redirect_uris":["https://h5.acme.example/done"]}`, status: 200, check: has("h5.acme.example/done")},
		{name: "read web origins", header: by(own), method: "GET", path: "/admin/api/tenants/acme/web", status: 200,
			check: has(`"allowed_origins":["https://h5.acme.example"]`)},
		{name: "a wildcard origin", header: by(own), method: "PUT", path: "/admin/api/tenants/acme/web",
			body: `{"allowed_origins":["*"],"redirect_uris":[]}`, status: 400, code: "invalid_request"},
		{name: "add an official account", header: by(own), path: "/admin/api/tenants/acme/official-accounts",
			body: `{"appid":"wxacmeoa000001","secret":"acme-official-account-secret"}`, status: 201, check: has("officialaccount")},
		{name: "official account taken", header: by(own), path: "/admin/api/tenants/acme/official-accounts",
			body: `{"appid":"wxacmeoa000001","secret":"acme-official-account-secret"}`, status: 409, code: "conflict"},
	}
	runScenarios(t, e.env, scenario{}, rows)
	if n := e.count("SELECT COUNT(*) FROM users WHERE external_id LIKE 'crm-%'"); n != 3 {
		t.Fatalf("%d imported users, want 3", n)
	}
	// Admins find imported users by phone (any spelling) and external id;
	// the settings reached the public API: CORS for the new origin.
	found := has("王小明")
	runScenarios(t, e.env, scenario{method: "GET", header: by(own)}, []scenario{
		{name: "search by phone", path: "/admin/api/tenants/acme/users?q=13700000001", status: 200, check: found},
		{name: "search by phone, spelled out", path: "/admin/api/tenants/acme/users?q=%2B86%20137%200000%200001", status: 200, check: found},
		{name: "search by external id", path: "/admin/api/tenants/acme/users?q=crm-1", status: 200, check: found},
		{name: "CORS for the new origin", path: "/t/acme/me", header: []string{"Origin", "https://h5.acme.example"}, status: 401, code: "invalid_session",
			check: func(t *testing.T, r response) {
				if r.Header.Get("Access-Control-Allow-Origin") != "https://h5.acme.example" {
					t.Fatalf("CORS after the admin change: %v", r.Header)
				}
			}},
	})
}
