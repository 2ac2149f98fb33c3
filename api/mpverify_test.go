package api_test

import (
	"strings"
	"testing"
)

// TestMPVerifyFiles: a tenant admin uploads the official account's
// MP_verify_*.txt (wechat-open-api §6) and the product serves it, byte for
// byte, at the root of its domain. Names are unique across tenants.
func TestMPVerifyFiles(t *testing.T) {
	a := newAdminEnv(t)
	const name = "MP_verify_AbCdEf0123456789.txt"
	path := "/admin/api/tenants/acme/mp-verify/"
	// A refused request changes nothing an admin request may change, and
	// no file.
	var before string
	var files int
	unchanged := func(t *testing.T, r response) {
		if r.Status >= 400 && (a.fingerprint() != before || a.count("SELECT COUNT(*) FROM mp_verify_files") != files) {
			t.Fatal("a refused request changed something")
		}
	}
	by := func(who caller) []string { return adminHeader(a.callers[who]) }
	rows := []scenario{
		{name: "upload", header: by(own), method: "PUT", path: path + name, body: `{"content":"AbCdEf0123456789"}`, status: 200},
		{name: "replace own file", header: by(own), method: "PUT", path: path + name, body: `{"content":"AbCdEf0123456789"}`, status: 200},
		{name: "bad name: other prefix", header: by(own), method: "PUT", path: path + "verify_AbC.txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "bad name: path characters", header: by(own), method: "PUT", path: path + "MP_verify_..%2F..txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "bad name: too long", header: by(own), method: "PUT", path: path + "MP_verify_" + strings.Repeat("a", 33) + ".txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "content over 64 bytes", header: by(own), method: "PUT", path: path + "MP_verify_Big.txt", body: `{"content":"` + strings.Repeat("a", 65) + `"}`, status: 400, code: "invalid_request"},
		{name: "content with a newline", header: by(own), method: "PUT", path: path + "MP_verify_Nl.txt", body: `{"content":"abc\n"}`, status: 400, code: "invalid_request"},
		{name: "content with HTML is printable: allowed but served as text", header: by(own), method: "PUT", path: path + "MP_verify_Html.txt", body: `{"content":"<b>x</b>"}`, status: 200},
		{name: "empty content", header: by(own), method: "PUT", path: path + "MP_verify_Empty.txt", body: `{"content":""}`, status: 400, code: "invalid_request"},
		{name: "unknown field", header: by(own), method: "PUT", path: path + "MP_verify_X.txt", body: `{"content":"x","owner":"globex"}`, status: 400, code: "invalid_request"},
		{name: "name taken by another tenant", header: by(other), method: "PUT", path: "/admin/api/tenants/globex/mp-verify/" + name, body: `{"content":"zzz"}`, status: 409, code: "conflict"},
		{name: "another tenant's admin cannot see acme", header: by(other), method: "GET", path: path + name, status: 404, code: "tenant_not_found"},
		{name: "globex does not see acme's file", header: by(other), method: "GET", path: "/admin/api/tenants/globex/mp-verify/" + name, status: 404, code: "not_found"},
		{name: "signed out", header: by(signedOut), method: "PUT", path: path + "MP_verify_Y.txt", body: `{"content":"y"}`, status: 401, code: "unauthenticated"},
		{name: "bad CSRF", header: by(badCSRF), method: "PUT", path: path + "MP_verify_Y.txt", body: `{"content":"y"}`, status: 403, code: "csrf_failed"},
		{name: "delete a missing file", header: by(own), method: "DELETE", path: path + "MP_verify_Nope.txt", status: 404, code: "not_found"},
		{name: "globex cannot delete acme's", header: by(other), method: "DELETE", path: "/admin/api/tenants/globex/mp-verify/" + name, status: 404, code: "not_found"},
	}
	for i := range rows {
		rows[i].before = func(e *env) { before, files = a.fingerprint(), a.count("SELECT COUNT(*) FROM mp_verify_files") }
		rows[i].check = unchanged
	}
	runScenarios(t, a.env, scenario{}, rows)
	res, body := a.fetch("/" + name)
	if res.StatusCode != 200 || string(body) != "AbCdEf0123456789" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /%s: %d %q %v", name, res.StatusCode, body, res.Header)
	}
	if res, _ := a.fetch("/MP_verify_Unknown.txt"); res.StatusCode != 404 {
		t.Fatalf("unknown file: %d", res.StatusCode)
	}
	if res, _ := a.fetch("/robots.txt"); res.StatusCode != 404 {
		t.Fatalf("other root path: %d", res.StatusCode)
	}
	// A second tenant's file lives beside the first.
	if r := a.as(a.callers[other], "PUT", "/admin/api/tenants/globex/mp-verify/MP_verify_Globex01.txt", `{"content":"Globex01"}`); r.Status != 200 {
		t.Fatalf("globex upload: %d %s", r.Status, r.Raw)
	}
	if res, body := a.fetch("/MP_verify_Globex01.txt"); res.StatusCode != 200 || string(body) != "Globex01" {
		t.Fatalf("globex file: %d %q", res.StatusCode, body)
	}
	list := a.as(a.callers[own], "GET", "/admin/api/tenants/acme/mp-verify", "")
	if files := list.list("files"); list.Status != 200 || len(files) != 2 {
		t.Fatalf("list: %s", list.Raw)
	}
	if n := a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mp_verify.uploaded'"); n != 4 {
		t.Fatalf("%d upload audit entries, want 4", n)
	}
	if r := a.as(a.callers[own], "DELETE", path+name, ""); r.Status != 204 || a.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mp_verify.deleted'") != 1 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if res, _ := a.fetch("/" + name); res.StatusCode != 404 {
		t.Fatalf("deleted file still served: %d", res.StatusCode)
	}
	// Freed, the name may go to another tenant.
	if r := a.as(a.callers[other], "PUT", "/admin/api/tenants/globex/mp-verify/"+name, `{"content":"zzz"}`); r.Status != 200 {
		t.Fatalf("freed name: %d %s", r.Status, r.Raw)
	}
}
