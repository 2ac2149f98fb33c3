package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"miniauth/tenants"
)

// EnterByPhone is Enter for a way in that is a phone number alone, one the
// product verified itself (an SMS code): a.Phone (E.164) is who comes in;
// a.Login's app and openid are unused. It has Enter's shape and guarantees:
//
//   - The user holding the number is that user, however the number was
//     bound (getPhoneNumber in a mini-program, an import, an earlier SMS
//     login): one account everywhere.
//   - Otherwise: auto creates a user with the number; signup creates one
//     only on Register (ErrUnknownIdentity before, for a sign-up ticket);
//     existing_only fails with ErrNotRegistered.
//
// Concurrent first logins with one number make one user: the unique key
// on (tenant_id, phone) picks the winner, the others go again and find it.
func (s *Store) EnterByPhone(ctx context.Context, a Attempt, then func(u *User, created bool) error) (u *User, created bool, err error) {
	if a.Phone == "" {
		return nil, false, ErrNotRegistered
	}
	if err := a.Profile.Validate(); err != nil {
		return nil, false, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		u, created, err = s.enterPhoneOnce(ctx, a, then)
		if err == nil || !isRetryable(err) {
			return u, created, err
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("users: enter by phone did not settle: %w", err)
}

func (s *Store) enterPhoneOnce(ctx context.Context, a Attempt, then func(*User, bool) error) (*User, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	// No locking read: a gap lock on the phone index would make two first
	// logins deadlock; the unique key decides, and the update below
	// notices a number moved away meanwhile.
	u := new(User)
	created := false
	err = tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND phone = ?`, a.TenantID, a.Phone)
	switch {
	case err == nil:
		now := time.Now().UTC().Truncate(time.Millisecond)
		res, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ?, phone_last_login_at = ? WHERE id = ? AND tenant_id = ? AND phone = ?`,
			now, now, u.ID, a.TenantID, a.Phone)
		if err != nil {
			return nil, false, fmt.Errorf("users: touch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, false, errReadAgain // unbound, merged or deleted since the read
		}
		u.LastLoginAt, u.PhoneLastLoginAt = &now, &now
	case errors.Is(err, sql.ErrNoRows):
		if u, err = admitPhone(ctx, tx, a); err != nil {
			return nil, false, err
		}
		created = true
	default:
		return nil, false, fmt.Errorf("users: lookup phone: %w", err)
	}
	if err := s.emitLogin(ctx, tx, u, created, ""); err != nil {
		return nil, false, err
	}
	if then != nil {
		if err := then(u, created); err != nil {
			return nil, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("users: commit: %w", err)
	}
	if !created {
		s.changed(ctx, a.TenantID, u.ID)
	}
	return u, created, nil
}

// admitPhone decides about a number no user of the tenant holds.
func admitPhone(ctx context.Context, tx sqlxExec, a Attempt) (*User, error) {
	policy := a.Policy
	if policy == "" {
		policy = tenants.RegistrationAuto
	}
	switch {
	case policy == tenants.RegistrationAuto, policy == tenants.RegistrationSignup && a.Register:
	case policy == tenants.RegistrationExistingOnly:
		return nil, ErrNotRegistered
	default:
		return nil, ErrUnknownIdentity
	}
	var nick, avatar string
	if a.Profile.Nickname != nil {
		nick = *a.Profile.Nickname
	}
	if a.Profile.AvatarURL != nil {
		avatar = *a.Profile.AvatarURL
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	phone := a.Phone
	u := &User{TenantID: a.TenantID, PublicID: newPublicID(), Nickname: nick, AvatarURL: avatar, Phone: &phone,
		Status: StatusActive, CreatedAt: now, LastLoginAt: &now, PhoneLastLoginAt: &now}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO users (tenant_id, public_id, nickname, avatar_url, phone, created_at, last_login_at, phone_last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.TenantID, u.PublicID, u.Nickname, u.AvatarURL, phone, now, now, now)
	if err != nil {
		return nil, fmt.Errorf("users: insert user: %w", err) // a duplicate phone: Enter goes again
	}
	u.ID, _ = res.LastInsertId()
	return u, nil
}

// sqlxExec is what admitPhone needs of a transaction.
type sqlxExec interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
