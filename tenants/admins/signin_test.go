package admins_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/admins"
	"miniauth/tenants/tenantstest"
)

const ip = "192.0.2.1"

// TestSignInWithoutMFA: the password alone signs in, clears the account's
// failures and records the sign-in.
func TestSignInWithoutMFA(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	_, err := w.signIn.Password(w.ctx, "OPS@acme.example", "wrong password!", ip)
	is(t, "wrong password", err, admins.ErrBadPassword, "wrong password!")
	_, err = w.signIn.Password(w.ctx, "correct horse battery", password, ip)
	is(t, "a password as the email", err, admins.ErrBadPassword, password)
	res, err := w.signIn.Password(w.ctx, "Ops@Acme.Example", password, ip)
	if err != nil || res.Admin.ID != a.ID || res.MFAToken != "" || res.MustEnrol {
		t.Fatalf("right password: %+v, %v", res, err)
	}
	for range 3 { // the failure above was forgotten: three more do not lock
		_, _ = w.signIn.Password(w.ctx, a.Email, "wrong password!", ip)
	}
	if d, _ := w.lockout.Wait(w.ctx, a.Email, ip); d != 0 {
		t.Fatalf("wait %v after 3 failures since a success", d)
	}
	var last *time.Time
	if err := w.db.Get(&last, `SELECT last_login_at FROM admins WHERE id = ?`, a.ID); err != nil || last == nil {
		t.Fatalf("last sign-in: %v, %v", last, err)
	}
	if w.audited("admin.signed_in", a.Email) != 1 || w.audited("admin.signin_failed", a.Email) != 4 ||
		w.audited("admin.signin_failed", "") != 1 {
		t.Fatal("sign-ins not audited as expected")
	}
}

// TestSignInWithMFA: a right password gives a short-lived, single-use
// token bound to the client's IP, which a code exchanges for the sign-in.
func TestSignInWithMFA(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	secret, codes := w.enrol(a)
	w.clock.Add(30 * time.Second)

	res, err := w.signIn.Password(w.ctx, a.Email, password, ip)
	if err != nil || res.MFAToken == "" || !res.MFAExpiresAt.Equal(w.clock.Now().Add(admins.MFAPendingFor)) {
		t.Fatalf("right password with MFA on: %+v, %v", res, err)
	}
	if w.audited("admin.signed_in", a.Email) != 0 {
		t.Fatal("signed in before the second factor")
	}
	keys, err := tenantstest.Keys(w.ctx, w.rdb, w.prefix+":*")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v, _ := w.rdb.Get(w.ctx, k).Result()
		if strings.Contains(k, res.MFAToken) || strings.Contains(v, res.MFAToken) {
			t.Fatalf("the MFA token is in Redis as %q", k)
		}
	}
	secrets := []string{secret, res.MFAToken}

	// From another IP the token is refused, and spent.
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), "198.51.100.7")
	is(t, "another IP", err, admins.ErrNoMFAPending, secrets...)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), ip)
	is(t, "after another IP", err, admins.ErrNoMFAPending, secrets...)

	res, _ = w.signIn.Password(w.ctx, a.Email, password, ip)
	secrets = append(secrets, res.MFAToken)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, "000000", ip)
	is(t, "wrong code", err, admins.ErrInvalidSecondFactor, secrets...)
	got, err := w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), ip)
	if err != nil || got.ID != a.ID {
		t.Fatalf("right code after a wrong one: %v, %v", got, err)
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 1), ip)
	is(t, "the token again", err, admins.ErrNoMFAPending, secrets...)
	if w.audited("admin.signed_in", a.Email) != 1 || w.audited("admin.mfa_failed", a.Email) != 1 {
		t.Fatal("second step not audited")
	}

	// A replayed code is refused; a recovery code signs in once.
	res, _ = w.signIn.Password(w.ctx, a.Email, password, ip)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), ip)
	is(t, "replayed step", err, admins.ErrInvalidSecondFactor, secrets...)
	if _, err := w.signIn.SecondFactor(w.ctx, res.MFAToken, codes[0], ip); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if w.audited("admin.mfa_recovery_code_used", a.Email) != 1 {
		t.Fatal("recovery code use not audited")
	}
	res, _ = w.signIn.Password(w.ctx, a.Email, password, ip)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, codes[0], ip)
	is(t, "spent recovery code", err, admins.ErrInvalidSecondFactor, codes[0])

	// The token expires after MFAPendingFor, by the clock too.
	w.clock.Add(admins.MFAPendingFor)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), ip)
	is(t, "expired token", err, admins.ErrNoMFAPending, secrets...)
	for _, tok := range []string{"", "short", strings.Repeat("A", 43)} {
		_, err = w.signIn.SecondFactor(w.ctx, tok, w.code(secret, 0), ip)
		is(t, "made-up token "+tok, err, admins.ErrNoMFAPending)
	}

	// MFA turned off meanwhile: sign in again, with the password alone.
	res, _ = w.signIn.Password(w.ctx, a.Email, password, ip)
	root := w.admin("root@acme.example", 0)
	if err := w.mfa.DisableMFA(w.ctx, w.actor(root), a.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 1), ip)
	is(t, "MFA off meanwhile", err, admins.ErrNoMFAPending)
	if res, err := w.signIn.Password(w.ctx, a.Email, password, ip); err != nil || res.MFAToken != "" {
		t.Fatalf("the password alone after MFA went off: %+v, %v", res, err)
	}
	secret, _ = w.enrol(a)

	// A disabled admin's pending sign-in goes no further.
	res, _ = w.signIn.Password(w.ctx, a.Email, password, ip)
	w.db.MustExec(`UPDATE admins SET status = 'disabled' WHERE id = ?`, a.ID)
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 1), ip)
	is(t, "disabled meanwhile", err, admins.ErrNoMFAPending)
}

// TestMFATokenAttempts: a token takes a few wrong codes, then is spent.
func TestMFATokenAttempts(t *testing.T) {
	w := newWorld(t)
	w.lockout = admins.NewLockout(w.rdb, w.prefix, admins.LockoutPolicy{Window: time.Hour,
		AccountSlow: 100, AccountLock: 100, IPSlow: 100, IPLock: 100, LockFor: time.Hour, MaxSlow: time.Minute})
	w.mfa = admins.NewMFA(w.db, admins.MFAConfig{Keys: tenantstest.Keyring(t), Lockout: w.lockout, Now: w.clock.Now})
	w.signIn = admins.NewSignIn(admins.SignInConfig{Admins: w.store, MFA: w.mfa, Lockout: w.lockout,
		Redis: w.rdb, Prefix: w.prefix, Now: w.clock.Now})
	a := w.admin("ops@acme.example", 0)
	secret, _ := w.enrol(a)
	w.clock.Add(30 * time.Second)
	res, err := w.signIn.Password(w.ctx, a.Email, password, ip)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, err := w.signIn.SecondFactor(w.ctx, res.MFAToken, "000000", ip)
		is(t, "wrong code", err, admins.ErrInvalidSecondFactor)
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), ip)
	is(t, "right code after five wrong ones", err, admins.ErrNoMFAPending)
}

// TestLockoutShared: wrong passwords and wrong codes spend one budget per
// account, which a right password does not refill: only a finished
// sign-in clears it.
func TestLockoutShared(t *testing.T) {
	w := newWorld(t)
	a := w.admin("ops@acme.example", 0)
	secret, _ := w.enrol(a)
	w.clock.Add(30 * time.Second)

	for range 2 {
		_, err := w.signIn.Password(w.ctx, a.Email, "wrong password!", ip)
		is(t, "wrong password", err, admins.ErrBadPassword)
	}
	res, err := w.signIn.Password(w.ctx, a.Email, password, ip) // the failures stay
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, "000000", ip) // third failure
	is(t, "wrong code", err, admins.ErrInvalidSecondFactor)
	res, err = w.signIn.Password(w.ctx, a.Email, password, "198.51.100.7") // a right password refills nothing
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, "111111", "198.51.100.7") // fourth: locked
	is(t, "wrong code", err, admins.ErrInvalidSecondFactor)
	if w.audited("admin.locked_out", a.Email) != 1 {
		t.Fatal("lockout not audited")
	}
	_, err = w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(secret, 0), "198.51.100.7")
	var we *admins.WaitError
	if !errors.As(err, &we) || !errors.Is(err, admins.ErrLockedOut) || we.Wait < 30*time.Minute {
		t.Fatalf("right code while locked: %v", err)
	}
	_, err = w.signIn.Password(w.ctx, " OPS@acme.example", password, ip)
	is(t, "right password while locked", err, admins.ErrLockedOut, password)
	_, err = w.mfa.RegenerateRecoveryCodes(w.ctx, admins.Actor{Admin: a, IP: ip}, w.code(secret, 0))
	is(t, "a code in the console while locked", err, admins.ErrLockedOut, secret)

	// Another admin: a finished sign-in clears its failures.
	b := w.admin("b@acme.example", 0)
	bs, _ := w.enrol(b)
	w.clock.Add(30 * time.Second)
	for range 3 {
		_, _ = w.signIn.Password(w.ctx, b.Email, "wrong password!", ip)
	}
	res, _ = w.signIn.Password(w.ctx, b.Email, password, ip)
	if _, err := w.signIn.SecondFactor(w.ctx, res.MFAToken, w.code(bs, 0), ip); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = w.signIn.Password(w.ctx, b.Email, "wrong password!", ip)
	}
	if d, _ := w.lockout.Wait(w.ctx, b.Email, ip); d != 0 {
		t.Fatalf("wait %v: the finished sign-in did not clear the failures", d)
	}
	// Wrong codes given in the console (turning MFA off) count too.
	err = w.mfa.DisableMFA(w.ctx, admins.Actor{Admin: b, IP: ip}, b.ID, "000000")
	is(t, "wrong code in the console", err, admins.ErrInvalidSecondFactor)
	if d, _ := w.lockout.Wait(w.ctx, b.Email, ip); d == 0 {
		t.Fatal("a wrong code in the console did not count")
	}
}
