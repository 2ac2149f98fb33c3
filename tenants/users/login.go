package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
)

// FindOrRegister is Enter under the auto policy: it returns the user bound
// to the identity (app, openid), creating the user and the identity when it
// is new, records the login and runs then inside the same transaction.
//
// Concurrent first logins of one person produce exactly one user: the
// unique key on (app_id, openid) picks the winner and the others retry and
// read it. created reports whether this call made the user.
func (s *Store) FindOrRegister(ctx context.Context, l Login, then func(u *User, created bool) error) (u *User, created bool, err error) {
	return s.Enter(ctx, Attempt{Login: l, Policy: tenants.RegistrationAuto}, then)
}

func byIdentity(ctx context.Context, q sqlx.QueryerContext, l Login) (*User, error) {
	var u User
	err := sqlx.GetContext(ctx, q, &u, `SELECT u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
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

// touchQuery records a returning login on the user and on the identity it
// came in by, in one statement: the console shows each way in with its
// last use. It changes no row when the identity no longer belongs to the
// user (merged away or deleted since the read).
const touchQuery = `UPDATE users u JOIN identities i ON i.user_id = u.id
	SET u.last_login_at = ?, i.last_login_at = ?
	WHERE u.id = ? AND u.tenant_id = ? AND i.app_id = ? AND i.openid = ?`

// touch records a returning login, and stores the unionid when WeChat
// sends one the user did not have yet, merging with the user that already
// holds it (see merge.go). It returns the internal id of a user merged
// away (0 for none).
func (s *Store) touch(ctx context.Context, tx *sqlx.Tx, u *User, l Login) (loser int64, err error) {
	if l.UnionID != "" && u.UnionID == nil {
		w, gone, err := s.learnUnionID(ctx, tx, u, l)
		if err != nil {
			return 0, err
		}
		*u, loser = *w, gone
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	res, err := tx.ExecContext(ctx, touchQuery, now, now, u.ID, l.TenantID, l.AppID, l.OpenID)
	if err != nil {
		return 0, fmt.Errorf("users: touch: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// The user was merged away or deleted after we read it (or logged
		// in within this very millisecond): read the identity again.
		return 0, errReadAgain
	}
	u.LastLoginAt = &now
	return loser, nil
}
