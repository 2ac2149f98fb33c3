package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"miniauth/api"
	"miniauth/tenants/admins"
)

// signInBody is a sign-in request body; %q escapes make the format
// characters of the spellings visible in failures.
func signInBody(email, password string) string {
	return fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
}

// TestAdminSignInSpellings: the spellings of an admin's email that reach
// it share one lockout count, so a guesser cannot get fresh counters by
// changing case or slipping in zero-width characters; an accented
// spelling is another (unknown) address and reaches nobody.
func TestAdminSignInSpellings(t *testing.T) {
	const lockAt = 3
	e := newTunedAdminEnv(t, func(_ *api.Base, s *api.Settings) {
		s.AdminLockout = admins.LockoutPolicy{Window: time.Minute,
			AccountSlow: lockAt, AccountLock: lockAt, IPSlow: 100, IPLock: 100, LockFor: 10 * time.Minute, MaxSlow: time.Minute}
	})
	step := func(email, password string, status int, code string, audit ...string) scenario {
		return scenario{name: fmt.Sprintf("%q", email), body: signInBody(email, password), status: status, code: code,
			changes: len(audit) > 0, audit: append([]string{}, audit...)}
	}
	failed := "admin.signin_failed"
	runStory(t, e.env, scenario{path: "/admin/api/session"}, []scenario{
		step("öps@acme.example", adminPassword, 401, "invalid_credentials", failed), // utf8mb4_bin: not ops@acme.example
		step("ops@acmé.example", adminPassword, 401, "invalid_credentials", failed),
		step("OPS@ACME.EXAMPLE", "wrong password!", 401, "invalid_credentials", failed),
		step("ops\u200b@acme.example", "wrong password!", 401, "invalid_credentials", failed),
		step("ｏｐｓ@acme.example\u2060", "wrong password!", 401, "invalid_credentials", failed, "admin.locked_out"), // the lockAt-th failure
		step(acmeEmail, adminPassword, 429, "rate_limited"),
		step("Ops\ufeff@Acme.Example", adminPassword, 429, "rate_limited"),
		step("öps@acme.example", "wrong password!", 401, "invalid_credentials", failed), // another address, its own count
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.locked_out' AND target_id = ? AND tenant_id = ?`,
		acmeEmail, e.tenant.ID); n != 1 {
		t.Fatalf("%d lockouts of %s audited, want 1", n, acmeEmail)
	}
}

// TestAdminAuditLongEmail: an email is audited whole, up to the 254
// characters an address may have; before, target_id held 64 bytes, so a
// longer email made the insert fail (a 500 for creating an admin), and a
// sign-in failure cut at byte 64 split a character and was not audited.
func TestAdminAuditLongEmail(t *testing.T) {
	e := newAdminEnv(t)
	long := strings.Repeat("o", 56) + "@acme.example.com" // 73 characters
	// Byte 64 falls inside an "é" of the domain.
	split := "o@" + strings.Repeat("é", 20) + "." + strings.Repeat("é", 30) + ".example"
	if utf8.ValidString(split[:64]) {
		t.Fatalf("%q is whole at byte 64", split)
	}
	runScenarios(t, e.env, scenario{}, []scenario{
		{name: fmt.Sprintf("create an admin with a %d-character email", len(long)), path: "/admin/api/tenants/acme/admins",
			header: adminHeader(e.callers[platform]), body: signInBody(long, adminPassword), status: 201, audit: []string{"admin.created"}},
		{name: "sign-in failure of an email split at byte 64", path: "/admin/api/session", body: signInBody(split, "wrong password!"),
			status: 401, code: "invalid_credentials", changes: true, audit: []string{"admin.signin_failed"}},
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.created' AND target_id = ?`, long); n != 1 {
		t.Fatalf("admin.created of the long email audited %d times, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND target_id = ? AND actor_id = ?`, split, split); n != 1 {
		t.Fatalf("the failed sign-in of %q audited %d times, want 1", split, n)
	}
}

// TestAdminAuditWriteFailureLogged: an audit entry that cannot be written
// is logged at error level; the sign-in is answered as before. A trigger
// refuses every insert into the audit log while the row runs, so that the
// runner can still read the log (and see that nothing was written).
func TestAdminAuditWriteFailureLogged(t *testing.T) {
	e := newAdminEnv(t)
	runScenarios(t, e.env, scenario{}, []scenario{
		{name: "sign-in without an audit log", path: "/admin/api/session", body: signInBody(acmeEmail, "wrong password!"),
			status: 401, code: "invalid_credentials", audit: []string{},
			before: func(e *env) {
				e.db.MustExec(`CREATE TRIGGER audit_log_refused BEFORE INSERT ON audit_log FOR EACH ROW
					SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log is away'`)
			},
			cleanup: func(e *env) { e.db.MustExec(`DROP TRIGGER IF EXISTS audit_log_refused`) }},
	})
	line := lastLine(e.logs.String(), `"audit entry not written"`)
	if !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"action":"admin.signin_failed"`) {
		t.Fatalf("no error-level log of the lost audit entry; last such line: %q", line)
	}
}

// TestAdminSignInPasswordAsEmail: what is typed into the email field is
// audited only when it is an address; a password typed there by mistake
// leaves no trace of itself in the audit log.
func TestAdminSignInPasswordAsEmail(t *testing.T) {
	e := newAdminEnv(t)
	var rows []scenario
	for _, typed := range []string{adminPassword, "Tr0ub4dor&3", "p@ss w0rd!", "x@" + adminPassword} {
		remember(typed, "password typed as the email") // and none of them in a log line either
		rows = append(rows, scenario{name: typed, body: signInBody(typed, typed), status: 401, code: "invalid_credentials",
			changes: true, audit: []string{"admin.signin_failed"}, check: func(t *testing.T, _ response) {
				var lines []string
				if err := e.db.Select(&lines, `SELECT CONCAT_WS('|', actor_type, actor_id, action, target_type, target_id, ip, COALESCE(details, ''))
					FROM audit_log`); err != nil {
					t.Fatal(err)
				}
				for _, line := range lines {
					if strings.Contains(strings.ToLower(line), strings.ToLower(typed)) {
						t.Fatalf("the audit log holds what was typed into the email field: %q", line)
					}
				}
			}})
	}
	runScenarios(t, e.env, scenario{path: "/admin/api/session"}, rows)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND actor_id = '' AND target_id = ''
		AND JSON_VALUE(details, '$.email') = 'malformed'`); n != 4 {
		t.Fatalf("%d malformed-email failures audited, want 4", n)
	}
}

// TestAdminSignInBusy: password checks run through a per-node gate; with
// its one slot held by a check that does not finish, a sign-in (of a known
// or an unknown email) waits the gate's short wait and gets 429 with
// Retry-After, and goes through once the slot is free. A busy node is no
// failed sign-in: nothing is counted or audited (the refusals change
// nothing, the sign-in after them audits only itself).
func TestAdminSignInBusy(t *testing.T) {
	gate := admins.NewGate(1, 50*time.Millisecond)
	e := newTunedAdminEnv(t, func(_ *api.Base, s *api.Settings) { s.AdminGate = gate })
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { done <- gate.Do(context.Background(), func() { close(held); <-release }) }()
	<-held
	busy := func(t *testing.T, r response) {
		if r.Header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
		}
	}
	runStory(t, e.env, scenario{path: "/admin/api/session"}, []scenario{
		{name: "known email, every check slot taken", body: signInBody(acmeEmail, adminPassword), status: 429, code: "rate_limited",
			audit: []string{}, check: busy},
		{name: "unknown email, every check slot taken", body: signInBody("ghost@acme.example", adminPassword), status: 429, code: "rate_limited",
			audit: []string{}, check: busy},
		{name: "sign-in once the slot is free", body: signInBody(acmeEmail, adminPassword), status: 200, audit: []string{"admin.signed_in"},
			before: func(e *env) {
				close(release)
				if err := <-done; err != nil {
					e.t.Fatal(err)
				}
			}},
	})
}

// TestAdminTenantAdminSpellings: the admin API stores a tenant admin's
// email normalised and finds it again by any spelling of it.
func TestAdminTenantAdminSpellings(t *testing.T) {
	e := newAdminEnv(t)
	runStory(t, e.env, scenario{path: "/admin/api/tenants/acme/admins", header: adminHeader(e.callers[platform])}, []scenario{
		{name: "create", body: signInBody(" New\u200b@ACME.example", adminPassword), status: 201, audit: []string{"admin.created"},
			check: func(t *testing.T, r response) {
				if r.str("admin", "email") != "new@acme.example" {
					t.Fatalf("create: %s", r.Raw)
				}
			}},
		{name: "create another spelling", body: signInBody("ｎｅｗ@acme.example", adminPassword), status: 409, code: "conflict"},
		{name: "create a display-name address", body: signInBody("new <new@acme.example>", adminPassword), status: 400, code: "invalid_request"},
		{name: "delete by another spelling", method: "DELETE", path: "/admin/api/tenants/acme/admins/NEW%E2%80%8B@acme.example",
			before: func(*env) { e.signIn("NEW@acme.example", adminPassword) }, status: 204, audit: []string{"admin.deleted"}},
	})
}
