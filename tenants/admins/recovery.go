package admins

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Recovery codes: RecoveryCodeCount per admin, each 80 random bits shown
// as 16 base32 characters in groups of four (abcd-efgh-ijkl-mnop).
//
// They are stored as SHA-256(salt ‖ code) with a random 16-byte salt per
// code, not bcrypt: a code has 80 bits of entropy, so a stolen table
// cannot be searched whatever the hash costs, while bcrypt would make
// every attempt cost up to ten 0.2 s comparisons (one per unused code,
// since salted hashes cannot be looked up) — work anyone could ask for.
// The salt keeps equal codes from having equal rows and rules out
// precomputed tables.
const (
	RecoveryCodeCount = 10
	recoveryCodeBytes = 10
	recoveryCodeLen   = 16 // base32 characters of recoveryCodeBytes
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// canonicalRecoveryCode returns a typed recovery code without spaces,
// hyphens and case, or false when it cannot be one.
func canonicalRecoveryCode(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	if len(s) != recoveryCodeLen {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(s); err != nil {
		return "", false
	}
	return s, true
}

func recoveryHash(salt []byte, code string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return h.Sum(nil)
}

// replaceRecoveryCodes deletes an admin's recovery codes and stores new
// ones with tx, returning them as shown to the admin.
func replaceRecoveryCodes(ctx context.Context, tx *sqlx.Tx, adminID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_recovery_codes WHERE admin_id = ?`, adminID); err != nil {
		return nil, fmt.Errorf("admins: recovery codes: %w", err)
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		raw, salt := make([]byte, recoveryCodeBytes), make([]byte, 16)
		rand.Read(raw)
		rand.Read(salt)
		code := recoveryEncoding.EncodeToString(raw)
		if _, err := tx.ExecContext(ctx, `INSERT INTO admin_recovery_codes (admin_id, salt, code_hash) VALUES (?, ?, ?)`,
			adminID, salt, recoveryHash(salt, code)); err != nil {
			return nil, fmt.Errorf("admins: recovery codes: %w", err)
		}
		lower := strings.ToLower(code)
		codes[i] = lower[0:4] + "-" + lower[4:8] + "-" + lower[8:12] + "-" + lower[12:16]
	}
	return codes, nil
}

// spendRecoveryCode marks the admin's unused recovery code equal to code
// (canonical) used, once: of two sign-ins racing with one code, one wins.
func (m *MFA) spendRecoveryCode(ctx context.Context, adminID int64, code string) error {
	var rows []struct {
		ID   int64  `db:"id"`
		Salt []byte `db:"salt"`
		Hash []byte `db:"code_hash"`
	}
	if err := m.db.SelectContext(ctx, &rows,
		`SELECT id, salt, code_hash FROM admin_recovery_codes WHERE admin_id = ? AND used_at IS NULL`, adminID); err != nil {
		return fmt.Errorf("admins: recovery codes: %w", err)
	}
	var match int64
	for _, r := range rows { // every row, so the time does not tell which matched
		if subtle.ConstantTimeCompare(recoveryHash(r.Salt, code), r.Hash) == 1 {
			match = r.ID
		}
	}
	if match == 0 {
		return ErrInvalidSecondFactor
	}
	res, err := m.db.ExecContext(ctx,
		`UPDATE admin_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, m.now().UTC(), match)
	if err != nil {
		return fmt.Errorf("admins: recovery codes: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrInvalidSecondFactor // spent by a concurrent sign-in
	}
	return nil
}

// RecoveryCodesLeft counts an admin's unused recovery codes.
func (m *MFA) RecoveryCodesLeft(ctx context.Context, adminID int64) (int, error) {
	var n int
	if err := m.db.GetContext(ctx, &n,
		`SELECT COUNT(*) FROM admin_recovery_codes WHERE admin_id = ? AND used_at IS NULL`, adminID); err != nil {
		return 0, fmt.Errorf("admins: recovery codes: %w", err)
	}
	return n, nil
}
