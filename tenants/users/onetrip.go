package users

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
)

// WithBatches lets a new user's first login open its transaction and write
// the user and the identity in one round trip to MySQL, over db: a pool
// whose connections send several statements in one query, with their
// arguments interpolated (its DSN made by BatchesDSN). Without it the same
// writes take four round trips (BEGIN, two INSERTs, COMMIT). Only the
// statements written here are sent over db; the store's own pool need not
// accept several statements in one query (miniauth serve's never does).
func WithBatches(db *sqlx.DB) Option { return func(s *Store) { s.batches = db } }

// BatchesDSN is dsn with what WithBatches needs of its pool: several
// statements in one query, and arguments interpolated.
func BatchesDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	cfg.MultiStatements, cfg.InterpolateParams = true, true
	return cfg.FormatDSN(), nil
}

// newUserSQL opens the transaction and writes a new user and its identity:
// the identity's user_id is the user's id, which LAST_INSERT_ID() gives
// while the identity's own is not yet made.
const newUserSQL = `START TRANSACTION;
INSERT INTO users (tenant_id, public_id, nickname, avatar_url, unionid, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?);
INSERT INTO identities (tenant_id, user_id, app_id, openid, unionid, last_login_at) VALUES (?, LAST_INSERT_ID(), ?, ?, ?, ?)`

// enterNew is the first login of an identity the tenant has never seen,
// under a policy that creates its user, with no phone to bind and no
// backend listening for the user's creation or login: the user and the
// identity are written in the round trip that opens the transaction, then
// (the session) runs, and the commit follows. As in Enter, nothing is
// written when then fails.
//
// done is false when the slow path must decide: no batches pool, or a
// unique key taken (the unionid's user exists, which the identity joins;
// or a concurrent first login of the same person won, whom the slow path
// finds on its next attempt).
func (s *Store) enterNew(ctx context.Context, a Attempt, then func(*User, bool) error) (_ *User, done bool, err error) {
	if s.batches == nil || a.Phone != "" || !createsUser(a) {
		return nil, false, nil
	}
	u, nick, avatar := newUser(a)
	conn, err := s.batches.Conn(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("users: connect: %w", err)
	}
	defer conn.Close()
	args := []driver.NamedValue{
		{Ordinal: 1, Value: u.TenantID}, {Ordinal: 2, Value: u.PublicID}, {Ordinal: 3, Value: nick},
		{Ordinal: 4, Value: avatar}, {Ordinal: 5, Value: nullable(a.UnionID)},
		{Ordinal: 6, Value: u.CreatedAt}, {Ordinal: 7, Value: u.CreatedAt},
		{Ordinal: 8, Value: a.TenantID}, {Ordinal: 9, Value: a.AppID}, {Ordinal: 10, Value: a.OpenID},
		{Ordinal: 11, Value: nullable(a.UnionID)}, {Ordinal: 12, Value: u.CreatedAt},
	}
	var ids []int64
	err = conn.Raw(func(dc any) error {
		ex, ok := dc.(driver.ExecerContext)
		if !ok {
			return driver.ErrSkip
		}
		res, err := ex.ExecContext(ctx, newUserSQL, args)
		if err != nil {
			return err
		}
		if r, ok := res.(mysql.Result); ok {
			ids = r.AllLastInsertIds()
		}
		return nil
	})
	if err == nil && (len(ids) != 3 || ids[1] == 0) {
		err = fmt.Errorf("users: insert user: %d results, want 3", len(ids))
	}
	if err != nil {
		// START TRANSACTION may have run before a statement failed: end it
		// here, or give the connection up.
		rollback(ctx, conn)
		if isDuplicate(err) || errors.Is(err, driver.ErrSkip) {
			return nil, false, nil
		}
		return nil, true, fmt.Errorf("users: insert user: %w", err)
	}
	u.ID = ids[1]
	if then != nil {
		if err := then(u, true); err != nil {
			rollback(ctx, conn)
			return nil, true, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		rollback(ctx, conn)
		return nil, true, fmt.Errorf("users: commit: %w", err)
	}
	return u, true, nil
}

// rollback ends conn's transaction, if any; a connection that cannot say
// it did is closed rather than handed back to the pool inside one.
func rollback(ctx context.Context, conn *sql.Conn) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(rctx, "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// createsUser reports whether a's policy makes a user of an identity the
// tenant has never seen (admit decides the rest).
func createsUser(a Attempt) bool {
	switch a.Policy {
	case "", tenants.RegistrationAuto:
		return true
	case tenants.RegistrationSignup:
		return a.Register
	}
	return false
}

// newUser is the user a creates, with every column known: it is built,
// not read back. nick and avatar are its profile's, "" for none.
func newUser(a Attempt) (u *User, nick, avatar string) {
	if a.Profile.Nickname != nil {
		nick = *a.Profile.Nickname
	}
	if a.Profile.AvatarURL != nil {
		avatar = *a.Profile.AvatarURL
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	u = &User{TenantID: a.TenantID, PublicID: newPublicID(), Nickname: nick, AvatarURL: avatar,
		Status: StatusActive, CreatedAt: now, LastLoginAt: &now}
	if a.UnionID != "" {
		u.UnionID = &a.UnionID
	}
	return u, nick, avatar
}
