package admins

import (
	"context"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"miniauth/tenants"
)

// CheckPassword applies the password policy for the admin whose
// normalised email is email: at least 12 characters, at most 72 bytes
// (bcrypt's limit), and not the email itself in any spelling. Its errors
// are InvalidErrors that never quote the password.
func CheckPassword(password, email string) error {
	switch {
	case utf8.RuneCountInString(password) < 12:
		return tenants.Invalid("password must be at least 12 characters")
	case len(password) > 72:
		return tenants.Invalid("password must be at most 72 bytes") // bcrypt's limit
	}
	if same, err := NormalizeEmail(password); err == nil && same == email {
		return tenants.Invalid("password must not be the email address")
	}
	return nil
}

// hashPassword hashes through the store's gate, which bounds the bcrypt
// work running at once on this node.
func (s *Store) hashPassword(ctx context.Context, password string) ([]byte, error) {
	var hash []byte
	var hashErr error
	if err := s.gate.Do(ctx, func() { hash, hashErr = bcrypt.GenerateFromPassword([]byte(password), bcryptCost) }); err != nil {
		return nil, err
	}
	if hashErr != nil {
		return nil, fmt.Errorf("admins: hash: %w", hashErr)
	}
	return hash, nil
}

// passwordMatches compares through the gate; false for any mismatch,
// including an empty hash (an invited admin has none yet).
func (s *Store) passwordMatches(ctx context.Context, hash, password string) (bool, error) {
	var mismatch error
	if err := s.gate.Do(ctx, func() { mismatch = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) }); err != nil {
		return false, err
	}
	return mismatch == nil, nil
}
