package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
)

// ErrPhoneInUse: the phone number is bound to another user of the tenant.
var ErrPhoneInUse = errors.New("users: phone number bound to another user")

// NormalizePhone returns a phone number in the one form stored: E.164,
// "+" then country code and number, e.g. "+8613800138000". It accepts what
// WeChat and spreadsheets give: "13800138000" (a mainland mobile number),
// "+86 138-0013-8000", "0086 13800138000".
func NormalizePhone(raw string) (string, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(raw))
	switch {
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case !strings.HasPrefix(s, "+") && len(s) == 11 && s[0] == '1':
		s = "+86" + s
	}
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return "", tenants.Invalid("phone number must be a mainland mobile number or +<country code><number>")
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return "", tenants.Invalid("phone number must be a mainland mobile number or +<country code><number>")
		}
	}
	return s, nil
}

// PhoneOf builds the stored form from WeChat's countryCode and
// purePhoneNumber.
func PhoneOf(countryCode, pure string) (string, error) {
	cc := strings.TrimPrefix(strings.TrimSpace(countryCode), "+")
	if cc == "" {
		cc = "86"
	}
	return NormalizePhone("+" + cc + strings.TrimSpace(pure))
}

// BindPhone binds a verified phone number to a user. A number bound to
// another user of the tenant gives ErrPhoneInUse and changes nothing.
func (s *Store) BindPhone(ctx context.Context, tenantID, userID int64, phone string) (u *User, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		u, err = s.bindPhoneOnce(ctx, tenantID, userID, phone)
		if err == nil || !isRetryable(err) {
			return u, err
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, err
		}
	}
	return nil, err
}

func (s *Store) bindPhoneOnce(ctx context.Context, tenantID, userID int64, phone string) (*User, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	u := new(User)
	if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = ? FOR UPDATE`, userID, tenantID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("users: bind phone: %w", err)
	}
	if err := bindPhoneTx(ctx, tx, u, phone); err != nil {
		return nil, err
	}
	if err := s.emit(ctx, tx, EventUpdated, u, ""); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("users: commit: %w", err)
	}
	s.changed(ctx, tenantID, userID)
	return u, nil
}

// bindPhoneTx sets u's phone inside tx, refusing a number held by another
// user of the tenant.
func bindPhoneTx(ctx context.Context, tx *sqlx.Tx, u *User, phone string) error {
	if u.Phone != nil && *u.Phone == phone {
		return nil
	}
	// No locking read first: a gap lock on the phone index would make
	// concurrent bindings deadlock. The unique key decides races.
	var holder int64
	err := tx.GetContext(ctx, &holder, `SELECT id FROM users WHERE tenant_id = ? AND phone = ?`, u.TenantID, phone)
	switch {
	case err == nil && holder != u.ID:
		return ErrPhoneInUse
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("users: phone lookup: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET phone = ? WHERE id = ? AND tenant_id = ?`, phone, u.ID, u.TenantID); err != nil {
		if isDuplicate(err) {
			return ErrPhoneInUse
		}
		return fmt.Errorf("users: bind phone: %w", err)
	}
	u.Phone = &phone
	return nil
}

// ByPhone finds a user of a tenant by phone number (any accepted form), for
// admins' searches.
func (s *Store) ByPhone(ctx context.Context, tenantID int64, phone string) (*User, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	var u User
	err = s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND phone = ?`, tenantID, p)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: by phone: %w", err)
	}
	return &u, nil
}
