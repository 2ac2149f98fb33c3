package admins

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
)

// TOTP parameters: RFC 6238 with what every authenticator app reads from
// an otpauth URL (SHA-1, 6 digits, 30 s), a code accepted one step either
// side of now for clock drift.
const (
	totpPeriod     = 30
	totpSkew       = 1
	totpSecretSize = 20 // bytes: the 160 bits RFC 4226 recommends
	qrSize         = 256

	// PendingEnrolmentFor is how long a begun enrolment waits for its
	// first code.
	PendingEnrolmentFor = 30 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Factor says which second factor was accepted.
type Factor string

// Factors.
const (
	FactorTOTP         Factor = "totp"
	FactorRecoveryCode Factor = "recovery_code"
)

// MFA keeps admins' TOTP authenticators and recovery codes in MySQL.
type MFA struct {
	db      *sqlx.DB
	keys    *keyring.Ring
	lockout *Lockout
	issuer  string
	now     func() time.Time
}

// MFAConfig is what an MFA needs.
type MFAConfig struct {
	Keys    *keyring.Ring    // seals the TOTP secrets
	Lockout *Lockout         // wrong codes count here, with wrong passwords
	Issuer  string           // the name authenticator apps show; "miniauth" when empty
	Now     func() time.Time // the clock; time.Now when nil
}

// NewMFA returns an MFA over db.
func NewMFA(db *sqlx.DB, c MFAConfig) *MFA {
	if c.Issuer == "" {
		c.Issuer = "miniauth"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &MFA{db: db, keys: c.Keys, lockout: c.Lockout, issuer: c.Issuer, now: c.Now}
}

func secretAD(adminID int64) string  { return "admin-totp:" + strconv.FormatInt(adminID, 10) }
func pendingAD(adminID int64) string { return "admin-totp-pending:" + strconv.FormatInt(adminID, 10) }

// Enrolment is what an admin needs to add the authenticator: the
// otpauth URL, as a QR code (PNG) to scan, and the secret (base32) to type
// by hand. It is shown once and kept nowhere but sealed in MySQL.
type Enrolment struct {
	URL       string
	Secret    string
	QRCodePNG []byte
}

// BeginEnrol makes a new TOTP secret for the acting admin, kept sealed and
// inactive until ConfirmEnrol gets a code of it. Beginning again replaces
// an unconfirmed secret; an admin whose MFA is on gets
// ErrMFAAlreadyEnrolled (turn it off first).
func (m *MFA) BeginEnrol(ctx context.Context, by Actor) (*Enrolment, error) {
	a := by.Admin
	key, err := totp.Generate(totp.GenerateOpts{Issuer: m.issuer, AccountName: a.Email,
		Period: totpPeriod, SecretSize: totpSecretSize, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("admins: totp key: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("admins: totp qr code: %w", err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return nil, fmt.Errorf("admins: totp qr code: %w", err)
	}
	sealed, keyID := m.keys.Seal([]byte(key.Secret()), pendingAD(a.ID))
	if _, err := m.db.ExecContext(ctx, `INSERT IGNORE INTO admin_mfa (admin_id) VALUES (?)`, a.ID); err != nil {
		return nil, fmt.Errorf("admins: begin enrolment: %w", err)
	}
	res, err := m.db.ExecContext(ctx,
		`UPDATE admin_mfa SET pending_secret = ?, pending_key_id = ?, pending_since = ?
		 WHERE admin_id = ? AND enabled_at IS NULL`, sealed, keyID, m.now().UTC(), a.ID)
	if err != nil {
		return nil, fmt.Errorf("admins: begin enrolment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrMFAAlreadyEnrolled
	}
	return &Enrolment{URL: key.URL(), Secret: key.Secret(), QRCodePNG: qr.Bytes()}, nil
}

// ConfirmEnrol turns MFA on for the acting admin once code is right for
// the secret BeginEnrol made, and returns the admin's recovery codes,
// which exist nowhere else: show them once.
func (m *MFA) ConfirmEnrol(ctx context.Context, by Actor, code string) ([]string, error) {
	a := by.Admin
	tx, err := m.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var row struct {
		Sealed  []byte         `db:"pending_secret"`
		KeyID   sql.NullString `db:"pending_key_id"`
		Since   sql.NullTime   `db:"pending_since"`
		Enabled sql.NullTime   `db:"enabled_at"`
	}
	err = tx.GetContext(ctx, &row, `SELECT pending_secret, pending_key_id, pending_since, enabled_at
		FROM admin_mfa WHERE admin_id = ? FOR UPDATE`, a.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNoPendingEnrolment
	case err != nil:
		return nil, fmt.Errorf("admins: load enrolment: %w", err)
	case row.Enabled.Valid:
		return nil, ErrMFAAlreadyEnrolled
	case row.Sealed == nil || !row.Since.Valid || !m.now().Before(row.Since.Time.Add(PendingEnrolmentFor)):
		return nil, ErrNoPendingEnrolment
	}
	secret, err := m.keys.Open(row.Sealed, row.KeyID.String, pendingAD(a.ID))
	if err != nil {
		return nil, fmt.Errorf("admins: pending secret: %w", err)
	}
	step, ok := matchStep(code, string(secret), m.now())
	if !ok {
		return nil, ErrInvalidSecondFactor
	}
	sealed, keyID := m.keys.Seal(secret, secretAD(a.ID))
	if _, err := tx.ExecContext(ctx, `UPDATE admin_mfa SET secret = ?, secret_key_id = ?, enabled_at = ?, last_step = ?,
		pending_secret = NULL, pending_key_id = NULL, pending_since = NULL WHERE admin_id = ?`,
		sealed, keyID, m.now().UTC(), step, a.ID); err != nil {
		return nil, fmt.Errorf("admins: confirm enrolment: %w", err)
	}
	codes, err := replaceRecoveryCodes(ctx, tx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: a.TenantID.Int64, Actor: by.Audit(),
		Action: "admin.mfa_enabled", TargetType: "admin", TargetID: a.Email}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return codes, nil
}

// matchStep returns the time step, of now and one either side, for which
// code is the TOTP code of secret. The library's own skew does not say
// which step matched, and replay protection needs it: each step is
// checked with no skew.
func matchStep(code, secret string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	steps := []int64{cur}
	for i := int64(1); i <= totpSkew; i++ {
		steps = append(steps, cur-i, cur+i)
	}
	for _, step := range steps {
		if ok, err := totp.ValidateCustom(code, secret, time.Unix(step*totpPeriod, 0), totpOpts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// Enabled reports whether MFA is on for an admin.
func (m *MFA) Enabled(ctx context.Context, adminID int64) (bool, error) {
	var n int
	if err := m.db.GetContext(ctx, &n,
		`SELECT COUNT(*) FROM admin_mfa WHERE admin_id = ? AND enabled_at IS NOT NULL`, adminID); err != nil {
		return false, fmt.Errorf("admins: mfa: %w", err)
	}
	return n > 0, nil
}

// VerifySecondFactor accepts a current TOTP code of the admin, each time
// step at most once across the cluster (a code is accepted only for a
// step later than the last one accepted), or one of its unused recovery
// codes, which it spends. Anything else is ErrInvalidSecondFactor;
// ErrMFANotEnrolled when MFA is off. It counts nothing: the sign-in
// (SignIn.SecondFactor) and the self-service calls count failures in the
// lockout.
func (m *MFA) VerifySecondFactor(ctx context.Context, adminID int64, code string) (Factor, error) {
	var row struct {
		Sealed []byte         `db:"secret"`
		KeyID  sql.NullString `db:"secret_key_id"`
	}
	err := m.db.GetContext(ctx, &row,
		`SELECT secret, secret_key_id FROM admin_mfa WHERE admin_id = ? AND enabled_at IS NOT NULL`, adminID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrMFANotEnrolled
	}
	if err != nil {
		return "", fmt.Errorf("admins: mfa: %w", err)
	}
	if rc, ok := canonicalRecoveryCode(code); ok {
		if err := m.spendRecoveryCode(ctx, adminID, rc); err != nil {
			return "", err
		}
		return FactorRecoveryCode, nil
	}
	secret, err := m.keys.Open(row.Sealed, row.KeyID.String, secretAD(adminID))
	if err != nil {
		return "", fmt.Errorf("admins: totp secret: %w", err)
	}
	step, ok := matchStep(code, string(secret), m.now())
	if !ok {
		return "", ErrInvalidSecondFactor
	}
	res, err := m.db.ExecContext(ctx, `UPDATE admin_mfa SET last_step = ?
		WHERE admin_id = ? AND enabled_at IS NOT NULL AND (last_step IS NULL OR last_step < ?)`, step, adminID, step)
	if err != nil {
		return "", fmt.Errorf("admins: totp step: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", ErrInvalidSecondFactor // this step, or a later one, was already used
	}
	return FactorTOTP, nil
}

// checkCode is VerifySecondFactor for an admin who is signing in or acting
// in the console, counted in the lockout with wrong passwords (one budget
// per account and IP): refused while the lockout says wait, a failure
// counted for every wrong code. locked reports that this failure locked
// the account or IP.
func (m *MFA) checkCode(ctx context.Context, a *Admin, code, ip string) (f Factor, locked bool, err error) {
	if m.lockout != nil {
		wait, err := m.lockout.Wait(ctx, a.Email, ip)
		if err != nil {
			return "", false, err
		}
		if wait > 0 {
			return "", false, &WaitError{Wait: wait}
		}
	}
	f, err = m.VerifySecondFactor(ctx, a.ID, code)
	if errors.Is(err, ErrInvalidSecondFactor) && m.lockout != nil {
		locked, lerr := m.lockout.Failure(ctx, a.Email, ip)
		if lerr != nil {
			return "", false, lerr
		}
		return "", locked, err
	}
	return f, false, err
}

// DisableMFA turns MFA off for adminID and deletes its recovery codes. An
// admin turning off its own needs a current code (ErrMFARequired without
// one; wrong codes count in the lockout); a platform admin may turn off
// another admin's (a lost phone) without one. Anyone else gets
// ErrForbidden.
func (m *MFA) DisableMFA(ctx context.Context, by Actor, adminID int64, code string) error {
	self := by.Admin.ID == adminID
	switch {
	case self && strings.TrimSpace(code) == "":
		return ErrMFARequired
	case self:
		if _, _, err := m.checkCode(ctx, by.Admin, code, by.IP); err != nil {
			return err
		}
	case !by.platform():
		return ErrForbidden
	}
	return m.disable(ctx, by, adminID, self)
}

// disable turns MFA off for adminID, whose right to it the caller checked.
func (m *MFA) disable(ctx context.Context, by Actor, adminID int64, self bool) error {
	tx, err := m.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var target Admin
	if err := tx.GetContext(ctx, &target, `SELECT id, email, password_hash, role, tenant_id, status, created_at
		FROM admins WHERE id = ?`, adminID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return fmt.Errorf("admins: load: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM admin_mfa WHERE admin_id = ? AND enabled_at IS NOT NULL`, adminID)
	if err != nil {
		return fmt.Errorf("admins: disable mfa: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrMFANotEnrolled
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_recovery_codes WHERE admin_id = ?`, adminID); err != nil {
		return fmt.Errorf("admins: disable mfa: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: target.TenantID.Int64, Actor: by.Audit(),
		Action: "admin.mfa_disabled", TargetType: "admin", TargetID: target.Email,
		Details: map[string]any{"by_self": self}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("admins: commit: %w", err)
	}
	return nil
}

// RegenerateRecoveryCodes replaces the acting admin's recovery codes with
// new ones, returned once; it needs a current code (TOTP or recovery).
func (m *MFA) RegenerateRecoveryCodes(ctx context.Context, by Actor, code string) ([]string, error) {
	if strings.TrimSpace(code) == "" {
		return nil, ErrMFARequired
	}
	if _, _, err := m.checkCode(ctx, by.Admin, code, by.IP); err != nil {
		return nil, err
	}
	tx, err := m.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("admins: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	codes, err := replaceRecoveryCodes(ctx, tx, by.Admin.ID)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: by.Admin.TenantID.Int64, Actor: by.Audit(),
		Action: "admin.mfa_recovery_codes_regenerated", TargetType: "admin", TargetID: by.Admin.Email}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("admins: commit: %w", err)
	}
	return codes, nil
}
