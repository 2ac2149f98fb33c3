package api_test

import "testing"

// scenario is one request of an API test table and what it must do: the
// status and error code, the change to users, identities and sessions in
// MySQL and Redis (delta), and whatever check adds. method defaults to
// POST; path and body may come from the table's defaults (runScenarios).
type scenario struct {
	name    string
	method  string
	path    string
	body    string
	bodyFn  func(e *env) string // body built when the row runs (a fresh code)
	header  []string
	before  func(e *env)
	cleanup func(e *env) // runs after the row whatever happened
	status  int
	code    string // error code, "" on success
	delta   state
	check   func(t *testing.T, r response)
}

// runScenarios runs each row as a subtest against e, in order; def gives
// the method, path and header of rows that leave them out.
func runScenarios(t *testing.T, e *env, def scenario, rows []scenario) {
	t.Helper()
	for _, sc := range rows {
		t.Run(sc.name, func(t *testing.T) {
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
			if path == "" {
				path = def.path
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
			before := e.state()
			r := e.do(method, path, body, header...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%s %s: status %d code %q, want %d %q: %s", method, path, r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			after := e.state()
			if got := (state{after.users - before.users, after.identities - before.identities, after.sessions - before.sessions}); got != sc.delta {
				t.Fatalf("changed %+v, want %+v", got, sc.delta)
			}
			if sc.check != nil {
				sc.check(t, r)
			}
		})
	}
	e.t = t
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
