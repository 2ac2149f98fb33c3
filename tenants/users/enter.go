package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
)

// Errors of registration.
var (
	// ErrUnknownIdentity: the tenant does not know this person and its
	// policy does not let a login create them; offer a sign-up ticket.
	ErrUnknownIdentity = errors.New("users: identity not registered")
	// ErrNotRegistered: under existing_only, no user of the tenant has the
	// phone number WeChat verified (or none was given).
	ErrNotRegistered = errors.New("users: no existing user matches")
)

// Attempt is a login or a sign-up, with what the tenant's registration
// policy needs to decide about an unknown identity.
type Attempt struct {
	Login
	Policy   string  // tenants.Registration*; "" means auto
	Register bool    // an explicit sign-up (POST /register with a ticket)
	Phone    string  // a phone number WeChat verified, normalized; "" for none
	Profile  Profile // for a user created by this attempt
}

// Enter logs a WeChat identity in, registering or binding it as the policy
// says, binds Phone when given, and runs then inside the same transaction:
// when anything fails, nothing is written.
//
//   - A known identity is the user it is bound to.
//   - An unknown identity whose unionid the tenant knows joins that user.
//   - Otherwise: auto creates a user; signup creates one only on Register;
//     existing_only binds the identity to the user holding Phone, or fails
//     with ErrNotRegistered. Anything else is ErrUnknownIdentity.
func (s *Store) Enter(ctx context.Context, a Attempt, then func(u *User, created bool) error) (u *User, created bool, err error) {
	if err := a.Profile.Validate(); err != nil {
		return nil, false, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		u, created, err = s.enterOnce(ctx, a, then)
		if err == nil || !isRetryable(err) {
			return u, created, err
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, false, err
		}
	}
	return nil, false, fmt.Errorf("users: enter did not settle: %w", err)
}

func (s *Store) enterOnce(ctx context.Context, a Attempt, then func(*User, bool) error) (*User, bool, error) {
	// Read outside any transaction: the identity's row does not need a
	// lock, and a registration racing this one loses on the unique key of
	// (app, openid) and goes again.
	u, err := s.byIdentity(ctx, a.Login)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	// Also outside: whether a backend listens for logins (this fills the
	// webhooks' memory, so the transaction below need not ask MySQL).
	listens, err := s.listens(ctx, a.TenantID, EventLogin)
	if err != nil {
		return nil, false, err
	}
	if u != nil && !listens {
		if u, done, err := s.enterReturning(ctx, a, u, then); done {
			return u, false, err
		}
	}
	if u == nil && !listens {
		created, err := s.listens(ctx, a.TenantID, EventCreated)
		if err != nil {
			return nil, false, err
		}
		if !created {
			if u, done, err := s.enterNew(ctx, a, then); done {
				return u, err == nil, err
			}
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	created, loser := false, int64(0)
	if u == nil {
		u, created, err = admit(ctx, tx, a)
	} else {
		loser, err = s.touch(ctx, tx, u, a.Login)
	}
	if err == nil && a.Phone != "" {
		err = bindPhoneTx(ctx, tx, u, a.Phone)
	}
	if err == nil {
		err = s.emitLogin(ctx, tx, u, created, a.OpenID)
	}
	if err == nil && then != nil {
		err = then(u, created)
	}
	if err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("users: commit: %w", err)
	}
	if !created {
		s.changed(ctx, a.TenantID, u.ID, loser)
	}
	return u, created, nil
}

// enterReturning is the common login: u, whom the tenant knows, coming back
// with nothing to change but the last_login_at of the user and of the
// identity (the caller made sure that no
// backend listens for logins). It needs no transaction: one read, then (the session), one
// write. done is false when the attempt needs the transaction (a new
// identity, a unionid to learn, a phone to bind, an event to write).
//
// Without the transaction, the user may change between the read and the
// session; the session is then refused on its first use all the same: a
// ban raises the session epoch the session was made with, a deletion or a
// merge removes the user it names. With WithBatchedTouches the two times
// are written a moment later, with other logins' (touches.go).
func (s *Store) enterReturning(ctx context.Context, a Attempt, u *User, then func(*User, bool) error) (_ *User, done bool, err error) {
	if a.Phone != "" || a.UnionID != "" && u.UnionID == nil {
		return nil, false, nil // a phone to bind; a unionid to learn, which may merge two users
	}
	if then != nil {
		if err := then(u, false); err != nil {
			return nil, true, err
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if s.touches == nil || !s.touches.note(a.Login, u.ID, now) {
		res, err := touchLogin(ctx, s.db, a.Login, u.ID, now)
		if err != nil {
			return nil, true, fmt.Errorf("users: touch: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Merged away or deleted since the read (or logged in within
			// this very millisecond): Enter goes again. The session just
			// made names a user that is gone, or is never handed out.
			return nil, true, errReadAgain
		}
	}
	u.LastLoginAt = &now
	// Only last_login_at changed: this node drops its copy, the others may
	// show the previous login until theirs expires (the session's own
	// login time is never hidden: see users.LastLogin). Not announcing
	// spares every login a Redis round trip.
	s.cache.Forget(cacheKey(a.TenantID, u.ID))
	return u, true, nil
}

// pause waits a little before another attempt after a lost race or a
// deadlock, longer each time and jittered, so that the transactions that
// collided do not collide again in step.
func pause(ctx context.Context, attempt int) error {
	d := time.Duration(attempt+1) * (2*time.Millisecond + time.Duration(rand.Int64N(int64(8*time.Millisecond))))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("users: %w", ctx.Err())
	}
}

// admit decides about an identity the tenant has never seen.
func admit(ctx context.Context, tx *sqlx.Tx, a Attempt) (*User, bool, error) {
	if a.UnionID != "" {
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM users WHERE tenant_id = ? AND unionid = ? FOR UPDATE`, a.TenantID, a.UnionID)
		switch {
		case err == nil:
			u, err := bindIdentity(ctx, tx, a.Login, id)
			return u, false, err
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, fmt.Errorf("users: lookup unionid: %w", err)
		}
	}
	switch {
	case createsUser(a):
		return createUser(ctx, tx, a)
	case a.Policy == tenants.RegistrationExistingOnly && (a.Register || a.Phone != ""):
		if a.Phone == "" {
			return nil, false, ErrNotRegistered
		}
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM users WHERE tenant_id = ? AND phone = ? FOR UPDATE`, a.TenantID, a.Phone)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, ErrNotRegistered
		}
		if err != nil {
			return nil, false, fmt.Errorf("users: lookup phone: %w", err)
		}
		u, err := bindIdentity(ctx, tx, a.Login, id)
		return u, false, err
	}
	return nil, false, ErrUnknownIdentity
}

func createUser(ctx context.Context, tx *sqlx.Tx, a Attempt) (*User, bool, error) {
	u, nick, avatar := newUser(a)
	res, err := tx.ExecContext(ctx,
		`INSERT INTO users (tenant_id, public_id, nickname, avatar_url, unionid, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.TenantID, u.PublicID, nick, avatar, nullable(a.UnionID), u.CreatedAt, u.CreatedAt)
	if err != nil {
		return nil, false, fmt.Errorf("users: insert user: %w", err)
	}
	u.ID, _ = res.LastInsertId()
	if err := insertIdentity(ctx, tx, a.Login, u.ID); err != nil {
		return nil, false, err
	}
	return u, true, nil
}

func insertIdentity(ctx context.Context, tx *sqlx.Tx, l Login, userID int64) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO identities (tenant_id, user_id, app_id, openid, unionid, last_login_at) VALUES (?, ?, ?, ?, ?, NOW(3))`,
		l.TenantID, userID, l.AppID, l.OpenID, nullable(l.UnionID)); err != nil {
		return fmt.Errorf("users: insert identity: %w", err)
	}
	return nil
}

// bindIdentity adds the identity l to the existing user id, gives the user
// l's unionid when it has none, records the login and returns the user.
func bindIdentity(ctx context.Context, tx *sqlx.Tx, l Login, id int64) (*User, error) {
	if err := insertIdentity(ctx, tx, l, id); err != nil {
		return nil, err
	}
	if l.UnionID != "" {
		// The unionid is free: admit looked it up under lock.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET unionid = ? WHERE id = ? AND unionid IS NULL`, l.UnionID, id); err != nil {
			return nil, fmt.Errorf("users: set unionid: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = NOW(3) WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("users: touch: %w", err)
	}
	u := new(User)
	if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = ?`, id, l.TenantID); err != nil {
		return nil, fmt.Errorf("users: reload: %w", err)
	}
	return u, nil
}
