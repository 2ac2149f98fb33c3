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
	// A refused request changes nothing an admin request may change (the
	// runner's fingerprint), and no file: the files are not in the
	// fingerprint, so each row counts them too.
	var files int
	unchanged := func(t *testing.T, r response) {
		if r.Status >= 400 && a.count("SELECT COUNT(*) FROM mp_verify_files") != files {
			t.Fatal("a refused request changed the files")
		}
	}
	by := func(who caller) []string { return adminHeader(a.callers[who]) }
	uploaded := []string{"mp_verify.uploaded"}
	rows := []scenario{
		{name: "upload", header: by(own), method: "PUT", path: path + name, body: `{"content":"AbCdEf0123456789"}`, status: 200, audit: uploaded},
		{name: "replace own file", header: by(own), method: "PUT", path: path + name, body: `{"content":"AbCdEf0123456789"}`, status: 200, audit: uploaded},
		{name: "bad name: other prefix", header: by(own), method: "PUT", path: path + "verify_AbC.txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "bad name: path characters", header: by(own), method: "PUT", path: path + "MP_verify_..%2F..txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "bad name: too long", header: by(own), method: "PUT", path: path + "MP_verify_" + strings.Repeat("a", 33) + ".txt", body: `{"content":"x"}`, status: 400, code: "invalid_request"},
		{name: "content over 64 bytes", header: by(own), method: "PUT", path: path + "MP_verify_Big.txt", body: `{"content":"` + strings.Repeat("a", 65) + `"}`, status: 400, code: "invalid_request"},
		{name: "content with a newline", header: by(own), method: "PUT", path: path + "MP_verify_Nl.txt", body: `{"content":"abc\n"}`, status: 400, code: "invalid_request"},
		{name: "content with HTML is printable: allowed but served as text", header: by(own), method: "PUT", path: path + "MP_verify_Html.txt", body: `{"content":"<b>x</b>"}`, status: 200, audit: uploaded},
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
		rows[i].before = func(e *env) { files = a.count("SELECT COUNT(*) FROM mp_verify_files") }
		rows[i].check = unchanged
	}
	runScenarios(t, a.env, scenario{}, rows)

	// The files at the root of the domain: plain text, not JSON (raw).
	served := func(content string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if r.Raw != content || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("served %q %v, want %q as text/plain", r.Raw, r.Header, content)
			}
		}
	}
	runStory(t, a.env, scenario{method: "GET"}, []scenario{
		{name: "served", path: "/" + name, raw: true, status: 200, check: served("AbCdEf0123456789")},
		{name: "unknown file", path: "/MP_verify_Unknown.txt", raw: true, status: 404},
		{name: "other root path", path: "/robots.txt", raw: true, status: 404},
		// A second tenant's file lives beside the first.
		{name: "globex upload", method: "PUT", header: by(other), path: "/admin/api/tenants/globex/mp-verify/MP_verify_Globex01.txt",
			body: `{"content":"Globex01"}`, status: 200, audit: uploaded},
		{name: "globex file served", path: "/MP_verify_Globex01.txt", raw: true, status: 200, check: served("Globex01")},
		{name: "list", header: by(own), path: "/admin/api/tenants/acme/mp-verify", status: 200, check: func(t *testing.T, r response) {
			if files := r.list("files"); len(files) != 2 {
				t.Fatalf("list: %s", r.Raw)
			}
		}},
		{name: "delete", method: "DELETE", header: by(own), path: path + name, status: 204, audit: []string{"mp_verify.deleted"}},
		{name: "deleted file no longer served", path: "/" + name, raw: true, status: 404},
		// Freed, the name may go to another tenant.
		{name: "freed name", method: "PUT", header: by(other), path: "/admin/api/tenants/globex/mp-verify/" + name, body: `{"content":"zzz"}`,
			status: 200, audit: uploaded},
	})
}
