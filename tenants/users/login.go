package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// FindOrRegister returns the user bound to the identity (app, openid),
// creating the user and the identity when it is new, and records the
// login. It all happens in one transaction, and then runs inside it before
// the commit: when then fails (say Redis is down and no session can be
// made) nothing is written at all.
//
// Concurrent first logins of one person produce exactly one user: the
// unique key on (app_id, openid) picks the winner and the others retry and
// read it. created reports whether this call made the user.
func (s *Store) FindOrRegister(ctx context.Context, l Login, then func(u *User, created bool) error) (u *User, created bool, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		u, created, err = s.findOrRegisterOnce(ctx, l, then)
		if err == nil || !isRetryable(err) {
			return u, created, err
		}
		// Someone else registered the same identity (or unionid) first, or
		// InnoDB chose us as a deadlock victim: go again and read theirs.
		if err := pause(ctx, attempt); err != nil {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("users: find-or-register did not settle: %w", err)
}

func (s *Store) findOrRegisterOnce(ctx context.Context, l Login, then func(*User, bool) error) (*User, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	u, err := byIdentity(ctx, tx, l)
	created := false
	switch {
	case errors.Is(err, ErrNotFound):
		u, created, err = register(ctx, tx, l)
	case err == nil:
		err = s.touch(ctx, tx, u, l)
	}
	if err == nil {
		err = s.emitLogin(ctx, tx, u, created, l.OpenID)
	}
	if err != nil {
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
	return u, created, nil
}

func byIdentity(ctx context.Context, tx *sqlx.Tx, l Login) (*User, error) {
	var u User
	err := tx.GetContext(ctx, &u, `SELECT u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
		FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.app_id = ? AND i.openid = ? AND i.tenant_id = ?`, l.AppID, l.OpenID, l.TenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: lookup identity: %w", err)
	}
	return &u, nil
}

// register creates the identity, and its user (created) unless the tenant already
// knows the person by unionid (another app of the same open platform).
func register(ctx context.Context, tx *sqlx.Tx, l Login) (u *User, created bool, err error) {
	var userID int64
	if l.UnionID != "" {
		err := tx.GetContext(ctx, &userID,
			`SELECT id FROM users WHERE tenant_id = ? AND unionid = ? FOR UPDATE`, l.TenantID, l.UnionID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("users: lookup unionid: %w", err)
		}
	}
	if userID == 0 {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO users (tenant_id, public_id, unionid, last_login_at) VALUES (?, ?, ?, NOW(3))`,
			l.TenantID, newPublicID(), nullable(l.UnionID))
		if err != nil {
			return nil, false, fmt.Errorf("users: insert user: %w", err)
		}
		userID, _ = res.LastInsertId()
		created = true
	} else if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = NOW(3) WHERE id = ?`, userID); err != nil {
		return nil, false, fmt.Errorf("users: touch: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO identities (tenant_id, user_id, app_id, openid, unionid, last_login_at)
		 VALUES (?, ?, ?, ?, ?, NOW(3))`,
		l.TenantID, userID, l.AppID, l.OpenID, nullable(l.UnionID)); err != nil {
		return nil, false, fmt.Errorf("users: insert identity: %w", err)
	}
	u = new(User)
	if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID); err != nil {
		return nil, false, fmt.Errorf("users: reload: %w", err)
	}
	return u, created, nil
}

// touch records a returning login, and stores the unionid when WeChat
// sends one the user did not have yet, merging with the user that already
// holds it (see merge.go).
func (s *Store) touch(ctx context.Context, tx *sqlx.Tx, u *User, l Login) error {
	if l.UnionID != "" && u.UnionID == nil {
		w, err := s.learnUnionID(ctx, tx, u, l)
		if err != nil {
			return err
		}
		*u = *w
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	res, err := tx.ExecContext(ctx,
		`UPDATE users SET last_login_at = ? WHERE id = ? AND tenant_id = ?`, now, u.ID, l.TenantID)
	if err != nil {
		return fmt.Errorf("users: touch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// The user was merged away or deleted after we read it (or logged
		// in within this very millisecond): read the identity again.
		return errReadAgain
	}
	u.LastLoginAt = &now
	return nil
}
