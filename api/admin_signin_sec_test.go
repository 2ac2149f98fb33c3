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
	steps := []struct {
		email, password string
		status          int
		code            string
	}{
		{"öps@acme.example", adminPassword, 401, "invalid_credentials"}, // utf8mb4_bin: not ops@acme.example
		{"ops@acmé.example", adminPassword, 401, "invalid_credentials"},
		{"OPS@ACME.EXAMPLE", "wrong password!", 401, "invalid_credentials"},
		{"ops\u200b@acme.example", "wrong password!", 401, "invalid_credentials"},
		{"ｏｐｓ@acme.example\u2060", "wrong password!", 401, "invalid_credentials"}, // the lockAt-th failure
		{acmeEmail, adminPassword, 429, "rate_limited"},
		{"Ops\ufeff@Acme.Example", adminPassword, 429, "rate_limited"},
		{"öps@acme.example", "wrong password!", 401, "invalid_credentials"}, // another address, its own count
	}
	for i, s := range steps {
		r := e.do("POST", "/admin/api/session", signInBody(s.email, s.password))
		if r.Status != s.status || r.errCode() != s.code {
			t.Fatalf("step %d, %q: %d %s; want %d %s", i+1, s.email, r.Status, r.Raw, s.status, s.code)
		}
	}
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
	r := e.as(e.callers[platform], "POST", "/admin/api/tenants/acme/admins", signInBody(long, adminPassword))
	if r.Status != 201 {
		t.Fatalf("create an admin with a %d-character email: %d %s", len(long), r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.created' AND target_id = ?`, long); n != 1 {
		t.Fatalf("admin.created of the long email audited %d times, want 1", n)
	}
	// Byte 64 falls inside an "é" of the domain.
	split := "o@" + strings.Repeat("é", 20) + "." + strings.Repeat("é", 30) + ".example"
	if utf8.ValidString(split[:64]) {
		t.Fatalf("%q is whole at byte 64", split)
	}
	if r := e.do("POST", "/admin/api/session", signInBody(split, "wrong password!")); r.Status != 401 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND target_id = ? AND actor_id = ?`, split, split); n != 1 {
		t.Fatalf("the failed sign-in of %q audited %d times, want 1", split, n)
	}
}

// TestAdminAuditWriteFailureLogged: an audit entry that cannot be written
// is logged at error level; the sign-in is answered as before.
func TestAdminAuditWriteFailureLogged(t *testing.T) {
	e := newAdminEnv(t)
	if _, err := e.db.Exec(`RENAME TABLE audit_log TO audit_log_away`); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/admin/api/session", signInBody(acmeEmail, "wrong password!"))
	if r.Status != 401 || r.errCode() != "invalid_credentials" {
		t.Fatalf("sign-in without an audit log: %d %s", r.Status, r.Raw)
	}
	line := lastLine(e.logs.String(), `"audit entry not written"`)
	if !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, `"action":"admin.signin_failed"`) {
		t.Fatalf("no error-level log of the lost audit entry; last such line: %q", line)
	}
	if _, err := e.db.Exec(`RENAME TABLE audit_log_away TO audit_log`); err != nil {
		t.Fatal(err)
	}
}

// TestAdminSignInPasswordAsEmail: what is typed into the email field is
// audited only when it is an address; a password typed there by mistake
// leaves no trace of itself in the audit log.
func TestAdminSignInPasswordAsEmail(t *testing.T) {
	e := newAdminEnv(t)
	for _, typed := range []string{adminPassword, "Tr0ub4dor&3", "p@ss w0rd!", "x@" + adminPassword} {
		remember(typed, "password typed as the email") // and none of them in a log line either
		if r := e.do("POST", "/admin/api/session", signInBody(typed, typed)); r.Status != 401 || r.errCode() != "invalid_credentials" {
			t.Fatalf("%q: %d %s", typed, r.Status, r.Raw)
		}
		var rows []string
		if err := e.db.Select(&rows, `SELECT CONCAT_WS('|', actor_type, actor_id, action, target_type, target_id, ip, COALESCE(details, ''))
			FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			if strings.Contains(strings.ToLower(row), strings.ToLower(typed)) {
				t.Fatalf("the audit log holds what was typed into the email field: %q", row)
			}
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed' AND actor_id = '' AND target_id = ''
		AND JSON_VALUE(details, '$.email') = 'malformed'`); n != 4 {
		t.Fatalf("%d malformed-email failures audited, want 4", n)
	}
}

// TestAdminSignInBusy: password checks run through a per-node gate; with
// its one slot held by a check that does not finish, a sign-in (of a known
// or an unknown email) waits the gate's short wait and gets 429 with
// Retry-After, and goes through once the slot is free.
func TestAdminSignInBusy(t *testing.T) {
	gate := admins.NewGate(1, 50*time.Millisecond)
	e := newTunedAdminEnv(t, func(_ *api.Base, s *api.Settings) { s.AdminGate = gate })
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { done <- gate.Do(context.Background(), func() { close(held); <-release }) }()
	<-held
	for _, email := range []string{acmeEmail, "ghost@acme.example"} {
		r := e.do("POST", "/admin/api/session", signInBody(email, adminPassword))
		if r.Status != 429 || r.errCode() != "rate_limited" || r.Header.Get("Retry-After") != "1" {
			t.Fatalf("%s with every check slot taken: %d %q %s", email, r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/admin/api/session", signInBody(acmeEmail, adminPassword)); r.Status != 200 {
		t.Fatalf("sign-in once the slot is free: %d %s", r.Status, r.Raw)
	}
	// A busy node is no failed sign-in: nothing was counted or audited.
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signin_failed'`); n != 0 {
		t.Fatalf("%d failures audited, want 0", n)
	}
}

// TestAdminTenantAdminSpellings: the admin API stores a tenant admin's
// email normalised and finds it again by any spelling of it.
func TestAdminTenantAdminSpellings(t *testing.T) {
	e := newAdminEnv(t)
	p := e.callers[platform]
	r := e.as(p, "POST", "/admin/api/tenants/acme/admins", signInBody(" New\u200b@ACME.example", adminPassword))
	if r.Status != 201 || r.obj("admin")["email"] != "new@acme.example" {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if r := e.as(p, "POST", "/admin/api/tenants/acme/admins", signInBody("ｎｅｗ@acme.example", adminPassword)); r.Status != 409 || r.errCode() != "conflict" {
		t.Fatalf("create another spelling: %d %s", r.Status, r.Raw)
	}
	if r := e.as(p, "POST", "/admin/api/tenants/acme/admins", signInBody("new <new@acme.example>", adminPassword)); r.Status != 400 || r.errCode() != "invalid_request" {
		t.Fatalf("create a display-name address: %d %s", r.Status, r.Raw)
	}
	e.signIn("NEW@acme.example", adminPassword)
	if r := e.as(p, "DELETE", "/admin/api/tenants/acme/admins/NEW%E2%80%8B@acme.example", ""); r.Status != 204 {
		t.Fatalf("delete by another spelling: %d %s", r.Status, r.Raw)
	}
}
