package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// scenario is one request of an API test and what it must do: the status
// and error code, where a redirect goes, the change to users, identities
// and sessions in MySQL and Redis (delta), the audit actions it writes,
// and whatever check adds. Every API test is a list of scenarios run by
// runScenarios (independent rows) or runStory (steps that build on each
// other, stopping at the first that fails).
//
// A row leaves out what the table's defaults give (method, path, header);
// the *Fn fields are built when the row runs, from what earlier steps
// kept (a token, an id, a cookie). Redirects are never followed: a row
// sees the 302 and its Location. A refusal (4xx) must change nothing at
// all (env.fingerprint) unless the row says what it records (changes).
type scenario struct {
	name     string
	method   string // default POST
	path     string // relative to the server, or a whole URL (the simulators)
	pathFn   func(e *env) string
	body     string
	bodyFn   func(e *env) string // a body built when the row runs (a fresh code)
	ctype    string              // Content-Type of a body that is not JSON
	header   []string            // name, value, ...
	headerFn func(e *env) []string
	raw      bool // the answer need not be JSON, nor an error in the envelope (HTML pages, CSV)
	before   func(e *env)
	cleanup  func(e *env) // runs after the row whatever happened
	status   int
	code     string // error code; "" on success, or any code for a refusal
	location string // a redirect's Location must start with this
	delta    state
	anyDelta bool     // the row's change to users, identities and sessions is not checked
	audit    []string // the audit actions the row must add, in order (nil: not checked)
	changes  bool     // a refusal that records something (an audit line, a counter)
	check    func(t *testing.T, r response)
}

// runScenarios runs each row as a subtest against e, in order; def gives
// the method, path and header of rows that leave them out.
func runScenarios(t *testing.T, e *env, def scenario, rows []scenario) {
	t.Helper()
	for _, sc := range rows {
		t.Run(sc.name, func(t *testing.T) { runRow(t, e, def, sc) })
	}
	e.t = t
}

// runStory runs steps in order, each a subtest, and stops at the first
// that fails: later steps build on what earlier ones kept.
func runStory(t *testing.T, e *env, def scenario, steps []scenario) {
	t.Helper()
	for _, sc := range steps {
		if !t.Run(sc.name, func(t *testing.T) { runRow(t, e, def, sc) }) {
			break
		}
	}
	e.t = t
}

func runRow(t *testing.T, e *env, def scenario, sc scenario) {
	t.Helper()
	e.t = t
	if sc.cleanup != nil {
		defer sc.cleanup(e)
	}
	method, path, header, body := sc.method, sc.path, sc.header, sc.body
	if method == "" {
		method = def.method
	}
	if method == "" {
		method = "POST"
	}
	if sc.pathFn != nil {
		path = sc.pathFn(e)
	}
	if path == "" {
		path = def.path
	}
	if sc.headerFn != nil {
		header = sc.headerFn(e)
	}
	if header == nil {
		header = def.header
	}
	if sc.bodyFn != nil {
		body = sc.bodyFn(e)
	}
	if sc.before != nil {
		sc.before(e)
	}
	refusal := sc.status >= 400 && sc.status < 500 && !sc.changes
	var print string
	if refusal {
		print = e.fingerprint()
	}
	before, auditMark := e.state(), e.auditMark()
	r := e.send(method, path, body, sc.ctype, sc.raw || def.raw, header...)
	if r.Status != sc.status || (r.errCode() != sc.code && (sc.code != "" || sc.status < 400)) {
		t.Fatalf("%s %s: status %d code %q, want %d %q: %.2000s", method, path, r.Status, r.errCode(), sc.status, sc.code, r.Raw)
	}
	if sc.location != "" {
		if got := r.Header.Get("Location"); !strings.HasPrefix(got, sc.location) {
			t.Fatalf("%s %s: Location %q, want it to start %q", method, path, got, sc.location)
		}
	}
	after := e.state()
	if got := (state{after.users - before.users, after.identities - before.identities, after.sessions - before.sessions}); got != sc.delta && !sc.anyDelta {
		t.Fatalf("%s %s: changed %+v, want %+v", method, path, got, sc.delta)
	}
	if sc.audit != nil {
		if got := e.auditSince(auditMark); strings.Join(got, " ") != strings.Join(sc.audit, " ") {
			t.Fatalf("%s %s: audit %q, want %q", method, path, got, sc.audit)
		}
	}
	if refusal {
		if now := e.fingerprint(); now != print {
			t.Fatalf("%s %s: refused with %d but changed state:\nbefore %s\nafter  %s", method, path, r.Status, print, now)
		}
	}
	if sc.check != nil {
		sc.check(t, r)
	}
}

// send makes one request without following redirects. A JSON answer is
// decoded into Body; unless raw, the answer must be JSON and an error
// must come in the envelope.
func (e *env) send(method, path, body, ctype string, raw bool, header ...string) response {
	e.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = e.base + path
	}
	req, err := http.NewRequest(method, path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	switch {
	case ctype != "":
		req.Header.Set("Content-Type", ctype)
	case body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ctype == "" {
		rememberJSON(body)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Raw: string(b), t: e.t}
	isJSON := strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")
	if isJSON {
		rememberJSON(r.Raw)
	}
	if len(b) > 0 && (isJSON || !raw) {
		if err := json.Unmarshal(b, &r.Body); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %.500q", method, path, b)
		}
	}
	if r.Status >= 400 && !raw {
		env, _ := r.Body["error"].(map[string]any)
		if env == nil || env["code"] == "" || env["message"] == "" || env["request_id"] == "" {
			e.t.Fatalf("%s %s: %d without the error envelope: %s", method, path, r.Status, b)
		}
	}
	return r
}

// cookie is the value of the named cookie r sets, or "".
func (r response) cookie(name string) string {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// locationURL is r's redirect target, parsed; the test fails without one.
func (r response) locationURL() *url.URL {
	r.t.Helper()
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || r.Header.Get("Location") == "" {
		r.t.Fatalf("no redirect (status %d, Location %q)", r.Status, r.Header.Get("Location"))
	}
	return u
}

// fingerprint is everything a request may change, in MySQL and Redis; a
// refused request must leave it as it was.
func (e *env) fingerprint() string {
	e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(',', slug, name, status, session_epoch, settings) ORDER BY id SEPARATOR ';'), '') FROM tenants`,
		`SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(',', tenant_id, appid, HEX(secret_sealed), is_default) ORDER BY id SEPARATOR ';'), '') FROM apps`,
		`SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(',', public_id, status, session_epoch, nickname, COALESCE(phone, '')) ORDER BY id SEPARATOR ';'), '') FROM users`,
		`SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(',', user_id, openid) ORDER BY id SEPARATOR ';'), '') FROM identities`,
		`SELECT COALESCE(GROUP_CONCAT(CONCAT_WS(',', email, status) ORDER BY id SEPARATOR ';'), '') FROM admins`,
		`SELECT CAST(COUNT(*) AS CHAR) FROM audit_log`,
	} {
		var s string
		if err := e.db.Get(&s, q); err != nil {
			e.t.Fatal(err)
		}
		b.WriteString(s + "\n")
	}
	fmt.Fprintf(&b, "sessions=%d", e.sessionKeys())
	return b.String()
}

// auditMark is the newest audit row's id, for auditSince.
func (e *env) auditMark() int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT COALESCE(MAX(id), 0) FROM audit_log`); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// auditSince lists the audit actions written after mark, oldest first.
func (e *env) auditSince(mark int64) []string {
	e.t.Helper()
	got := []string{}
	if err := e.db.Select(&got, `SELECT action FROM audit_log WHERE id > ? ORDER BY id`, mark); err != nil {
		e.t.Fatal(err)
	}
	return got
}

// withCleanup gives every row of rows the same cleanup.
func withCleanup(rows []scenario, cleanup func(e *env)) []scenario {
	for i := range rows {
		rows[i].cleanup = cleanup
	}
	return rows
}

// adminHeader is the header an admin caller sends (the console's cookie
// and CSRF token), for a row's header; never nil, so that a signed-out
// caller's row does not take the table's default.
func adminHeader(c adminClient) []string {
	h := []string{}
	if c.cookie != "" {
		h = append(h, "Cookie", "miniauth_admin="+c.cookie)
	}
	if c.csrf != "" {
		h = append(h, "X-CSRF-Token", c.csrf)
	}
	return h
}
