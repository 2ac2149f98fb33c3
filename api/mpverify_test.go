package api_test

import (
	"strings"
	"testing"
)

// TestMPVerifyFiles: a tenant admin uploads the official account's
// MP_verify_*.txt (docs/wechat.md, domain verification) and the product serves it, byte for
// byte, at the root of its domain. Names are unique across tenants.
func TestMPVerifyFiles(t *testing.T) {
	a := newAdminEnv(t)
	const name = "MP_verify_AbCdEf0123456789.txt"
	path := "/admin/api/tenants/acme/mp-verify/"
	scenarios := []struct {
		name   string
		who    caller
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"upload", own, "PUT", path + name, `{"content":"AbCdEf0123456789"}`, 200, ""},
		{"replace own file", own, "PUT", path + name, `{"content":"AbCdEf0123456789"}`, 200, ""},
		{"bad name: other prefix", own, "PUT", path + "verify_AbC.txt", `{"content":"x"}`, 400, "invalid_request"},
		{"bad name: path characters", own, "PUT", path + "MP_verify_..%2F..txt", `{"content":"x"}`, 400, "invalid_request"},
		{"bad name: too long", own, "PUT", path + "MP_verify_" + strings.Repeat("a", 33) + ".txt", `{"content":"x"}`, 400, "invalid_request"},
		{"content over 64 bytes", own, "PUT", path + "MP_verify_Big.txt", `{"content":"` + strings.Repeat("a", 65) + `"}`, 400, "invalid_request"},
		{"content with a newline", own, "PUT", path + "MP_verify_Nl.txt", `{"content":"abc\n"}`, 400, "invalid_request"},
		{"content with HTML is printable: allowed but served as text", own, "PUT", path + "MP_verify_Html.txt", `{"content":"<b>x</b>"}`, 200, ""},
		{"empty content", own, "PUT", path + "MP_verify_Empty.txt", `{"content":""}`, 400, "invalid_request"},
		{"unknown field", own, "PUT", path + "MP_verify_X.txt", `{"content":"x","owner":"globex"}`, 400, "invalid_request"},
		{"name taken by another tenant", other, "PUT", "/admin/api/tenants/globex/mp-verify/" + name, `{"content":"zzz"}`, 409, "conflict"},
		{"another tenant's admin cannot see acme", other, "GET", path + name, "", 404, "tenant_not_found"},
		{"globex does not see acme's file", other, "GET", "/admin/api/tenants/globex/mp-verify/" + name, "", 404, "not_found"},
		{"signed out", signedOut, "PUT", path + "MP_verify_Y.txt", `{"content":"y"}`, 401, "unauthenticated"},
		{"bad CSRF", badCSRF, "PUT", path + "MP_verify_Y.txt", `{"content":"y"}`, 403, "csrf_failed"},
		{"delete a missing file", own, "DELETE", path + "MP_verify_Nope.txt", "", 404, "not_found"},
		{"globex cannot delete acme's", other, "DELETE", "/admin/api/tenants/globex/mp-verify/" + name, "", 404, "not_found"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			a.t, a.env.t = t, t
			before := a.fingerprint()
			files := a.count("SELECT COUNT(*) FROM mp_verify_files")
			r := a.as(a.callers[sc.who], sc.method, sc.path, sc.body)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if sc.status >= 400 && (a.fingerprint() != before || a.count("SELECT COUNT(*) FROM mp_verify_files") != files) {
				t.Fatal("a refused request changed something")
			}
		})
	}
	a.t, a.env.t = t, t
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
	if files := list.Body["files"].([]any); list.Status != 200 || len(files) != 2 {
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
