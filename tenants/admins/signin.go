package admins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/audit"
)

// MFAPendingFor is how long the token between the two steps of a sign-in
// with MFA lives; mfaPendingAttempts wrong codes spend it too.
const (
	MFAPendingFor      = 5 * time.Minute
	mfaPendingAttempts = 5
)

// SignIn is the console's sign-in, in one or two steps:
//
//  1. Password checks the email and password (Lockout.Wait first, a
//     failure counted). For an admin without MFA the sign-in is done. For
//     an admin with MFA it returns an MFA token instead, and the
//     account's failure count is NOT cleared: a password-then-code
//     guesser spends one budget, which a right password must not refill.
//  2. SecondFactor exchanges that token, from the same client IP, and a
//     TOTP or recovery code for the admin; wrong codes count in the same
//     lockout as wrong passwords, and only now are the failures cleared.
//
// Both record the audit entries of the sign-in (admin.signin_failed,
// admin.mfa_failed, admin.locked_out, admin.mfa_recovery_code_used,
// admin.signed_in) and the admin's last sign-in. The caller then starts
// the console session (Console.Create).
type SignIn struct {
	admins  *Store
	mfa     *MFA
	lockout *Lockout
	rdb     redis.UniversalClient
	prefix  string
	log     *slog.Logger
	now     func() time.Time
}

// SignInConfig is what a SignIn needs.
type SignInConfig struct {
	Admins  *Store
	MFA     *MFA
	Lockout *Lockout
	Redis   redis.UniversalClient // MFA tokens: <prefix>:admin:mfa:p:<sha256 of the token>
	Prefix  string
	Logger  *slog.Logger     // audit entries that cannot be written; discarded when nil
	Now     func() time.Time // time.Now when nil
}

// NewSignIn returns the sign-in over c.
func NewSignIn(c SignInConfig) *SignIn {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &SignIn{admins: c.Admins, mfa: c.MFA, lockout: c.Lockout, rdb: c.Redis, prefix: c.Prefix, log: c.Logger, now: c.Now}
}

// SignInResult is the outcome of a right password.
type SignInResult struct {
	Admin *Admin
	// MFAToken, when set, means the sign-in is not done: the second step
	// (SecondFactor) needs it and a code before MFAExpiresAt. It is shown
	// to the client once and kept only as a hash.
	MFAToken     string
	MFAExpiresAt time.Time
	// MustEnrol: signed in, but the platform requires MFA of this admin
	// and it has none; the console must serve only MFA enrolment
	// (MFA.BeginEnrol, MFA.ConfirmEnrol) until MFA.MustEnrol says false.
	MustEnrol bool
}

// Password is the first step. Errors: *WaitError (ErrLockedOut) while the
// lockout says wait, even with the right password; ErrBadPassword for a
// wrong email, password or a disabled or invited account, after the same
// work; ErrBusy when the node has no password-check slot (no failure
// counted).
func (f *SignIn) Password(ctx context.Context, email, password, ip string) (*SignInResult, error) {
	// A malformed email ("" from here on) reaches no admin: counted per IP
	// only, no bcrypt, and what was typed is kept nowhere.
	email, _ = NormalizeEmail(email)
	if wait, err := f.lockout.Wait(ctx, email, ip); err != nil {
		return nil, err
	} else if wait > 0 {
		return nil, &WaitError{Wait: wait}
	}
	if email == "" {
		return nil, f.passwordFailed(ctx, "", ip)
	}
	a, err := f.admins.Authenticate(ctx, email, password)
	if errors.Is(err, ErrBadPassword) {
		return nil, f.passwordFailed(ctx, email, ip)
	}
	if err != nil {
		return nil, err
	}
	on, err := f.mfa.Enabled(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if on {
		token, expires, err := f.issuePending(ctx, a.ID, ip)
		if err != nil {
			return nil, err
		}
		return &SignInResult{Admin: a, MFAToken: token, MFAExpiresAt: expires}, nil
	}
	if err := f.lockout.Success(ctx, email); err != nil {
		return nil, err
	}
	must, err := f.mfa.MustEnrol(ctx, a)
	if err != nil {
		return nil, err
	}
	f.signedIn(ctx, a, ip, "")
	return &SignInResult{Admin: a, MustEnrol: must}, nil
}

// SecondFactor is the second step: the MFA token of Password, from the
// IP it was issued to, and a TOTP or recovery code. Errors:
// ErrNoMFAPending for a token unknown, expired, used, spent by
// mfaPendingAttempts wrong codes or shown from another IP (it is then
// spent: sign in again); ErrInvalidSecondFactor for a wrong or replayed
// code (the token stays for another try); *WaitError while the lockout
// says wait.
func (f *SignIn) SecondFactor(ctx context.Context, token, code, ip string) (*Admin, error) {
	p, err := f.takePending(ctx, token)
	if err != nil {
		return nil, err
	}
	if p.ip != ip || !f.now().Before(p.expires) {
		return nil, ErrNoMFAPending
	}
	a, err := f.admins.ByID(ctx, p.adminID)
	if errors.Is(err, ErrNotFound) || (err == nil && a.Status != "active") {
		return nil, ErrNoMFAPending
	}
	if err != nil {
		f.putPending(ctx, token, p)
		return nil, err
	}
	factor, locked, err := f.mfa.checkCode(ctx, a, code, ip)
	if errors.Is(err, ErrInvalidSecondFactor) {
		f.audit(ctx, audit.Entry{TenantID: a.TenantID.Int64, Actor: audit.Actor{Type: "anonymous", ID: a.Email, IP: ip},
			Action: "admin.mfa_failed", TargetType: "admin", TargetID: a.Email})
		if locked {
			f.audit(ctx, audit.Entry{TenantID: a.TenantID.Int64, Actor: audit.Actor{Type: "anonymous", ID: a.Email, IP: ip},
				Action: "admin.locked_out", TargetType: "admin", TargetID: a.Email})
		}
		if p.attempts--; p.attempts > 0 {
			f.putPending(ctx, token, p)
		}
		return nil, err
	}
	if errors.Is(err, ErrMFANotEnrolled) {
		return nil, ErrNoMFAPending // turned off meanwhile: the password alone will do now
	}
	if err != nil {
		f.putPending(ctx, token, p) // a wait or an outage spends no try
		return nil, err
	}
	if err := f.lockout.Success(ctx, a.Email); err != nil {
		return nil, err
	}
	if factor == FactorRecoveryCode {
		left, _ := f.mfa.RecoveryCodesLeft(ctx, a.ID)
		f.audit(ctx, audit.Entry{TenantID: a.TenantID.Int64, Actor: audit.Actor{Type: "admin", ID: a.Email, IP: ip},
			Action: "admin.mfa_recovery_code_used", TargetType: "admin", TargetID: a.Email,
			Details: map[string]any{"left": left}})
	}
	f.signedIn(ctx, a, ip, factor)
	return a, nil
}

// passwordFailed counts a failed password, writes it (and a lockout) to
// the audit log of the admin's tenant when the account exists, and
// returns ErrBadPassword.
func (f *SignIn) passwordFailed(ctx context.Context, email, ip string) error {
	locked, err := f.lockout.Failure(ctx, email, ip)
	if err != nil {
		return err
	}
	var tenantID int64
	var details map[string]any
	if email == "" {
		details = map[string]any{"email": "malformed"}
	} else if a, err := f.admins.ByEmail(ctx, email); err == nil {
		tenantID = a.TenantID.Int64
	}
	actor := audit.Actor{Type: "anonymous", ID: email, IP: ip}
	f.audit(ctx, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "admin.signin_failed", TargetType: "admin", TargetID: email, Details: details})
	if locked {
		f.audit(ctx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "admin.locked_out", TargetType: "admin", TargetID: email, Details: details})
	}
	return ErrBadPassword
}

func (f *SignIn) signedIn(ctx context.Context, a *Admin, ip string, factor Factor) {
	if err := f.admins.TouchLogin(ctx, a.ID); err != nil {
		f.log.Error("last sign-in not recorded", "admin_id", a.ID, "err", err)
	}
	details := map[string]any{"mfa": "none"}
	if factor != "" {
		details["mfa"] = string(factor)
	}
	f.audit(ctx, audit.Entry{TenantID: a.TenantID.Int64, Actor: audit.Actor{Type: "admin", ID: a.Email, IP: ip},
		Action: "admin.signed_in", TargetType: "admin", TargetID: a.Email, Details: details})
}

func (f *SignIn) audit(ctx context.Context, e audit.Entry) {
	if err := audit.Record(ctx, f.admins.db, e); err != nil {
		f.log.Error("audit entry not written", "action", e.Action, "tenant_id", e.TenantID, "err", err)
	}
}

// pending is an MFA token's record: "1|admin id|ip|attempts left|expiry (unix ms)".
type pending struct {
	adminID  int64
	ip       string
	attempts int
	expires  time.Time
}

func (f *SignIn) pendingKey(token string) string {
	return f.prefix + ":admin:mfa:p:" + hashToken(token)
}

func (p pending) String() string {
	return strings.Join([]string{"1", strconv.FormatInt(p.adminID, 10), p.ip,
		strconv.Itoa(p.attempts), strconv.FormatInt(p.expires.UnixMilli(), 10)}, "|")
}

func (f *SignIn) issuePending(ctx context.Context, adminID int64, ip string) (string, time.Time, error) {
	token := randomToken()
	p := pending{adminID: adminID, ip: ip, attempts: mfaPendingAttempts, expires: f.now().Add(MFAPendingFor)}
	if err := f.rdb.Set(ctx, f.pendingKey(token), p.String(), MFAPendingFor).Err(); err != nil {
		return "", time.Time{}, fmt.Errorf("admins: mfa token: %w", err)
	}
	return token, p.expires, nil
}

// takePending claims a token with GETDEL: of two requests racing with one
// token, one gets it; a wrong code puts it back (putPending).
func (f *SignIn) takePending(ctx context.Context, token string) (pending, error) {
	if !wellFormed(token) {
		return pending{}, ErrNoMFAPending
	}
	v, err := f.rdb.GetDel(ctx, f.pendingKey(token)).Result()
	if errors.Is(err, redis.Nil) {
		return pending{}, ErrNoMFAPending
	}
	if err != nil {
		return pending{}, fmt.Errorf("admins: mfa token: %w", err)
	}
	fs := strings.Split(v, "|")
	if len(fs) != 5 || fs[0] != "1" {
		return pending{}, ErrNoMFAPending
	}
	id, err1 := strconv.ParseInt(fs[1], 10, 64)
	n, err2 := strconv.Atoi(fs[3])
	ms, err3 := strconv.ParseInt(fs[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return pending{}, ErrNoMFAPending
	}
	return pending{adminID: id, ip: fs[2], attempts: n, expires: time.UnixMilli(ms)}, nil
}

// putPending gives a claimed token back for the rest of its life, unless
// it was used in the meantime (NX).
func (f *SignIn) putPending(ctx context.Context, token string, p pending) {
	ttl := p.expires.Sub(f.now())
	if ttl <= 0 {
		return
	}
	if err := f.rdb.SetNX(ctx, f.pendingKey(token), p.String(), ttl).Err(); err != nil {
		f.log.Error("mfa token not put back", "admin_id", p.adminID, "err", err)
	}
}
