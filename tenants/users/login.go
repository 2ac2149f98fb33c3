package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
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

// identitySQL reads the user bound to an identity: every login asks it.
var identitySQL = `SELECT u.` + strings.ReplaceAll(userColumns, ", ", ", u.") + `
		FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.app_id = ? AND i.openid = ? AND i.tenant_id = ?`

// byIdentity is the user bound to l's identity, or ErrNotFound. It runs as
// a prepared statement (Store.prepared), which costs MySQL about a third less
// than the same query as text, and the node a quarter less to send and read
// (docs/performance.md, "Issue 18, sixth round"); as text while it could
// not be prepared.
func (s *Store) byIdentity(ctx context.Context, l Login) (*User, error) {
	var u User
	var err error
	if st := s.prepared(ctx, &s.stmts.identity, identitySQL); st != nil {
		err = st.GetContext(ctx, &u, l.AppID, l.OpenID, l.TenantID)
	} else {
		err = s.db.GetContext(ctx, &u, identitySQL, l.AppID, l.OpenID, l.TenantID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: lookup identity: %w", err)
	}
	return &u, nil
}

// prepared is query prepared once for the store, kept in slot (database/sql
// prepares it again on each connection that runs it); nil while it cannot
// be, and tried again at the next call.
func (s *Store) prepared(ctx context.Context, slot *atomic.Pointer[sqlx.Stmt], query string) *sqlx.Stmt {
	if st := slot.Load(); st != nil {
		return st
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st := slot.Load(); st != nil {
		return st
	}
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil
	}
	slot.Store(st)
	return st
}

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
	res, err := touchLogin(ctx, tx, l, u.ID, now)
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
