package admins_test

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/admins"
)

// TestEnrol: a begun enrolment is sealed and inactive until a code of it
// comes back; confirming returns ten recovery codes, kept only as hashes.
func TestEnrol(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	other := w.admin("other@acme.example", 0)

	e, err := w.mfa.BeginEnrol(w.ctx, w.actor(a))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != e.Secret ||
		u.Query().Get("issuer") != "miniauth test" || u.Query().Get("digits") != "6" ||
		u.Query().Get("period") != "30" || u.Query().Get("algorithm") != "SHA1" || !strings.Contains(u.Path, "ops@acme.example") {
		t.Fatalf("otpauth URL %q (%v)", e.URL, err)
	}
	if len(e.Secret) != 32 { // 160 bits in base32
		t.Fatalf("secret of %d characters", len(e.Secret))
	}
	if !bytes.HasPrefix(e.QRCodePNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("the QR code is not a PNG")
	}
	var sealed []byte
	if err := w.db.Get(&sealed, `SELECT pending_secret FROM admin_mfa WHERE admin_id = ?`, a.ID); err != nil ||
		bytes.Contains(sealed, []byte(e.Secret)) {
		t.Fatalf("pending secret at rest: %v, in clear: %v", err, bytes.Contains(sealed, []byte(e.Secret)))
	}
	// Copied to another admin's row, the sealed secret does not open.
	w.db.MustExec(`INSERT INTO admin_mfa (admin_id, pending_secret, pending_key_id, pending_since)
		SELECT ?, pending_secret, pending_key_id, pending_since FROM admin_mfa WHERE admin_id = ?`, other.ID, a.ID)
	if _, err := w.mfa.ConfirmEnrol(w.ctx, w.actor(other), w.code(e.Secret, 0)); err == nil {
		t.Fatal("another admin confirmed with a copied secret")
	}

	if on, err := w.mfa.Enabled(w.ctx, a.ID); err != nil || on {
		t.Fatalf("before confirmation: enabled %v, %v", on, err)
	}
	_, err = w.mfa.VerifySecondFactor(w.ctx, a.ID, w.code(e.Secret, 0))
	is(t, "verify before confirmation", err, admins.ErrMFANotEnrolled, e.Secret)
	_, err = w.mfa.ConfirmEnrol(w.ctx, w.actor(a), "000000")
	is(t, "confirm with a wrong code", err, admins.ErrInvalidSecondFactor, e.Secret)

	codes, err := w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(e.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c) || seen[c] {
			t.Fatalf("recovery code %q (seen %v)", c, seen[c])
		}
		seen[c] = true
	}
	if len(codes) != admins.RecoveryCodeCount || admins.RecoveryCodeCount != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	var stored [][]byte
	if err := w.db.Select(&stored, `SELECT code_hash FROM admin_recovery_codes WHERE admin_id = ?`, a.ID); err != nil || len(stored) != 10 {
		t.Fatalf("%d stored codes, %v", len(stored), err)
	}
	for _, h := range stored {
		for _, c := range codes {
			if bytes.Contains(h, []byte(strings.ReplaceAll(strings.ToUpper(c), "-", ""))) {
				t.Fatal("a recovery code is stored in clear")
			}
		}
	}
	if on, err := w.mfa.Enabled(w.ctx, a.ID); err != nil || !on {
		t.Fatalf("after confirmation: enabled %v, %v", on, err)
	}
	if w.audited("admin.mfa_enabled", a.Email) != 1 {
		t.Fatal("no admin.mfa_enabled audit entry")
	}
	_, err = w.mfa.BeginEnrol(w.ctx, w.actor(a))
	is(t, "begin again with MFA on", err, admins.ErrMFAAlreadyEnrolled)
	_, err = w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(e.Secret, 1))
	is(t, "confirm again", err, admins.ErrMFAAlreadyEnrolled, e.Secret)
}

// TestEnrolExpires: an enrolment not confirmed within
// PendingEnrolmentFor is gone; beginning again replaces the secret.
func TestEnrolExpires(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	_, err := w.mfa.ConfirmEnrol(w.ctx, w.actor(a), "123456")
	is(t, "confirm with nothing begun", err, admins.ErrNoPendingEnrolment)
	old, err := w.mfa.BeginEnrol(w.ctx, w.actor(a))
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Add(admins.PendingEnrolmentFor)
	_, err = w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(old.Secret, 0))
	is(t, "confirm after expiry", err, admins.ErrNoPendingEnrolment, old.Secret)
	e, err := w.mfa.BeginEnrol(w.ctx, w.actor(a))
	if err != nil || e.Secret == old.Secret {
		t.Fatalf("begin again: %v (same secret: %v)", err, e.Secret == old.Secret)
	}
	_, err = w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(old.Secret, 0))
	is(t, "confirm with the replaced secret", err, admins.ErrInvalidSecondFactor, old.Secret)
	if _, err := w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(e.Secret, 0)); err != nil {
		t.Fatal(err)
	}
}

// TestTOTPSteps: a code is good one step either side of now, and each
// step is accepted once: neither the same code again nor an earlier
// step's once a later one was used.
func TestTOTPSteps(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	secret, _ := w.enrol(a) // used the current step
	verify := func(code string) error {
		_, err := w.mfa.VerifySecondFactor(w.ctx, a.ID, code)
		noSecret(t, "verify", err, secret, code)
		return err
	}
	steps := []struct {
		name    string
		advance time.Duration
		steps   int // the code's step, relative to now
		ok      bool
	}{
		{"the enrolment's own code again", 0, 0, false},
		{"the same step, later in it", 29 * time.Second, 0, false},
		{"the next step", 1 * time.Second, 0, true},
		{"replayed", 0, 0, false},
		{"replayed with spaces", 0, 0, false},
		{"two steps ahead", 2 * time.Minute, 2, false},
		{"one step ahead (skew)", 0, 1, true},
		{"now, after the step ahead was used", 0, 0, false},
		{"two steps behind", 3 * time.Minute, -2, false},
		{"one step behind (skew)", 0, -1, true},
		{"now, after", 0, 0, true},
		{"the step before, after now was used", 0, -1, false},
	}
	for _, s := range steps {
		w.clock.Add(s.advance)
		code := w.code(secret, s.steps)
		if strings.Contains(s.name, "spaces") {
			code = code[:3] + " " + code[3:]
		}
		err := verify(code)
		if s.ok && err != nil || !s.ok && err == nil {
			t.Fatalf("%s: %v, want ok = %v", s.name, err, s.ok)
		}
		if err != nil {
			is(t, s.name, err, admins.ErrInvalidSecondFactor)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12345\u0661"} {
		is(t, "malformed code "+bad, verify(bad), admins.ErrInvalidSecondFactor)
	}
}

// TestTOTPReplayRace: of many sign-ins racing with one code, one wins.
func TestTOTPReplayRace(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	secret, _ := w.enrol(a)
	w.clock.Add(30 * time.Second)
	code := w.code(secret, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Go(func() {
			if _, err := w.mfa.VerifySecondFactor(w.ctx, a.ID, code); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of 8 racing verifications accepted one code", won)
	}
}

// TestRecoveryCodes: each code signs in once, in any case or grouping;
// of racing sign-ins with one code one wins; regenerating replaces them.
func TestRecoveryCodes(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	secret, codes := w.enrol(a)
	verify := func(code string) (admins.Factor, error) {
		f, err := w.mfa.VerifySecondFactor(w.ctx, a.ID, code)
		noSecret(t, "verify", err, append([]string{secret}, codes...)...)
		return f, err
	}
	if f, err := verify(codes[0]); err != nil || f != admins.FactorRecoveryCode {
		t.Fatalf("first use: %v, %v", f, err)
	}
	_, err := verify(codes[0])
	is(t, "second use", err, admins.ErrInvalidSecondFactor)
	if f, err := verify(" " + strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")) + " "); err != nil || f != admins.FactorRecoveryCode {
		t.Fatalf("upper case, no hyphens: %v, %v", f, err)
	}
	_, err = verify("aaaa-bbbb-cccc-dddd")
	is(t, "a made-up code", err, admins.ErrInvalidSecondFactor)
	if n, err := w.mfa.RecoveryCodesLeft(w.ctx, a.ID); err != nil || n != 8 {
		t.Fatalf("left: %d, %v", n, err)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Go(func() {
			if _, err := w.mfa.VerifySecondFactor(w.ctx, a.ID, codes[2]); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d of 8 racing sign-ins spent one recovery code", won)
	}

	_, err = w.mfa.RegenerateRecoveryCodes(w.ctx, w.actor(a), "")
	is(t, "regenerate without a code", err, admins.ErrMFARequired)
	_, err = w.mfa.RegenerateRecoveryCodes(w.ctx, w.actor(a), codes[0])
	is(t, "regenerate with a spent code", err, admins.ErrInvalidSecondFactor, codes...)
	fresh, err := w.mfa.RegenerateRecoveryCodes(w.ctx, w.actor(a), codes[3])
	if err != nil || len(fresh) != 10 {
		t.Fatalf("regenerate: %d codes, %v", len(fresh), err)
	}
	_, err = verify(codes[4])
	is(t, "an old code after regeneration", err, admins.ErrInvalidSecondFactor)
	if _, err := verify(fresh[0]); err != nil {
		t.Fatalf("a new code: %v", err)
	}
	if w.audited("admin.mfa_recovery_codes_regenerated", a.Email) != 1 {
		t.Fatal("regeneration not audited")
	}
}

// TestDisableMFA: one's own MFA goes off with a current code; another's
// only by a platform admin.
func TestDisableMFA(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	tb := w.admin("tb@acme.example", w.tenantID)
	secret, codes := w.enrol(ta)
	w.enrol(tb)

	err := w.mfa.DisableMFA(w.ctx, w.actor(ta), ta.ID, "")
	is(t, "own, no code", err, admins.ErrMFARequired)
	err = w.mfa.DisableMFA(w.ctx, w.actor(ta), ta.ID, "000000")
	is(t, "own, wrong code", err, admins.ErrInvalidSecondFactor, secret)
	err = w.mfa.DisableMFA(w.ctx, w.actor(ta), tb.ID, "")
	is(t, "a tenant admin, another's", err, admins.ErrForbidden)
	w.clock.Add(30 * time.Second)
	if err := w.mfa.DisableMFA(w.ctx, w.actor(ta), ta.ID, w.code(secret, 0)); err != nil {
		t.Fatalf("own, right code: %v", err)
	}
	if on, _ := w.mfa.Enabled(w.ctx, ta.ID); on {
		t.Fatal("still on")
	}
	_, err = w.mfa.VerifySecondFactor(w.ctx, ta.ID, codes[0])
	is(t, "a recovery code after disabling", err, admins.ErrMFANotEnrolled, codes...)
	var left int
	if err := w.db.Get(&left, `SELECT COUNT(*) FROM admin_recovery_codes WHERE admin_id = ?`, ta.ID); err != nil || left != 0 {
		t.Fatalf("%d recovery codes left, %v", left, err)
	}
	err = w.mfa.DisableMFA(w.ctx, w.actor(p), ta.ID, "")
	is(t, "already off", err, admins.ErrMFANotEnrolled)
	if err := w.mfa.DisableMFA(w.ctx, w.actor(p), tb.ID, ""); err != nil {
		t.Fatalf("a platform admin, another's: %v", err)
	}
	var details string
	if err := w.db.Get(&details, `SELECT details FROM audit_log WHERE action = 'admin.mfa_disabled' AND target_id = ? AND tenant_id = ?`,
		tb.Email, w.tenantID); err != nil || !strings.Contains(details, `"by_self": false`) && !strings.Contains(details, `"by_self":false`) {
		t.Fatalf("audit of another's MFA turned off: %q, %v", details, err)
	}
	if w.audited("admin.mfa_disabled", ta.Email) != 1 {
		t.Fatal("own MFA off not audited")
	}
}

// TestRequireMFA: the platform setting, who may change it, and who must
// enrol because of it.
func TestRequireMFA(t *testing.T) {
	w := newWorld(t)
	p := w.admin("root@acme.example", 0)
	ta := w.admin("ta@acme.example", w.tenantID)
	must := func(a *admins.Admin) bool {
		t.Helper()
		m, err := w.mfa.MustEnrol(w.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if on, err := w.settings.RequireMFAForPlatformAdmins(w.ctx); err != nil || on || must(p) {
		t.Fatalf("by default: required %v, %v", on, err)
	}
	is(t, "a tenant admin sets it", w.settings.SetRequireMFAForPlatformAdmins(w.ctx, w.actor(ta), true), admins.ErrForbidden)
	if err := w.settings.SetRequireMFAForPlatformAdmins(w.ctx, w.actor(p), true); err != nil {
		t.Fatal(err)
	}
	if on, err := w.settings.RequireMFAForPlatformAdmins(w.ctx); err != nil || !on {
		t.Fatalf("after setting: %v, %v", on, err)
	}
	if !must(p) || must(ta) {
		t.Fatalf("must enrol: platform %v, tenant %v", must(p), must(ta))
	}
	res, err := w.signIn.Password(w.ctx, p.Email, password, "192.0.2.1")
	if err != nil || !res.MustEnrol || res.MFAToken != "" {
		t.Fatalf("sign-in of a platform admin without MFA: %+v, %v", res, err)
	}
	w.enrol(p)
	if must(p) {
		t.Fatal("must enrol after enrolling")
	}
	if err := w.settings.SetRequireMFAForPlatformAdmins(w.ctx, w.actor(p), false); err != nil {
		t.Fatal(err)
	}
	if w.audited("platform.setting_changed", "require_mfa_platform") != 2 {
		t.Fatal("setting changes not audited")
	}
}
