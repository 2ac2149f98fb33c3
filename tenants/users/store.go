package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/memo"
)

// Store keeps users and identities in MySQL. Every query is scoped by tenant.
type Store struct {
	db     *sqlx.DB
	events EventSink         // nil: changes are not reported (see WithEvents)
	cache  *memo.Cache[*hot] // nil: no copies in memory (see WithCache)
	// touches writes returning logins' times in batches; nil: each at
	// once (see WithBatchedTouches).
	touches *touches
	// batches writes a new user in the round trip that opens its
	// transaction; nil: a round trip a statement (see WithBatches).
	batches *sqlx.DB
	stmts   struct {
		mu       sync.Mutex                // held while one is prepared
		identity atomic.Pointer[sqlx.Stmt] // identitySQL: every login
		hot      atomic.Pointer[sqlx.Stmt] // hotSQL: a user's first request on a node
	}
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option completes a Store at construction (WithEvents, WithCache).
type Option func(*Store)

// ByID loads a user of a tenant by internal id.
func (s *Store) ByID(ctx context.Context, tenantID, id int64) (*User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: load: %w", err)
	}
	return &u, nil
}

// Profile is the part of a user the user may change.
type Profile struct {
	Nickname  *string
	AvatarURL *string
}

// Validate checks the nickname (ValidNickname) and the avatar URL's length
// and scheme. Where a client hands the URL in, the API asks for more
// (https, or the product's own avatar URL).
func (p Profile) Validate() error {
	if p.Nickname != nil {
		if err := ValidNickname(*p.Nickname); err != nil {
			return err
		}
	}
	if p.AvatarURL != nil && *p.AvatarURL != "" {
		a := *p.AvatarURL
		if len(a) > 512 || !(strings.HasPrefix(a, "https://") || strings.HasPrefix(a, "http://")) {
			return tenants.Invalid("avatar_url must be an http(s) URL of at most 512 characters")
		}
	}
	return nil
}

// UpdateProfile changes the given fields and returns the updated user.
func (s *Store) UpdateProfile(ctx context.Context, tenantID, id int64, p Profile) (*User, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	sets, args := []string{}, []any{}
	if p.Nickname != nil {
		sets, args = append(sets, "nickname = ?"), append(args, *p.Nickname)
	}
	if p.AvatarURL != nil {
		sets, args = append(sets, "avatar_url = ?"), append(args, *p.AvatarURL)
	}
	if len(sets) == 0 {
		return s.ByID(ctx, tenantID, id)
	}
	// In a transaction, so that the user.updated event commits with it.
	var updated *User
	err := s.manageTx(ctx, func(tx *sqlx.Tx) error {
		args = append(args, id, tenantID)
		if _, err := tx.ExecContext(ctx,
			`UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ? AND tenant_id = ?`, args...); err != nil {
			return fmt.Errorf("users: update profile: %w", err)
		}
		u, err := lockUser(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		updated = u
		return s.emit(ctx, tx, EventUpdated, u, "")
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, tenantID, id)
	return updated, nil
}

// FillProfile sets the given fields only where the user has none yet, and
// returns the user. Profiles that came from WeChat's open data use it: such
// data may fill a gap, never overwrite what the user chose.
func (s *Store) FillProfile(ctx context.Context, tenantID, id int64, p Profile) (*User, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nick, avatar := "", ""
	if p.Nickname != nil {
		nick = *p.Nickname
	}
	if p.AvatarURL != nil {
		avatar = *p.AvatarURL
	}
	if nick == "" && avatar == "" {
		return s.ByID(ctx, tenantID, id)
	}
	var updated *User
	err := s.manageTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET nickname = IF(nickname = '' AND ? <> '', ?, nickname),
			                  avatar_url = IF(avatar_url = '' AND ? <> '', ?, avatar_url)
			 WHERE id = ? AND tenant_id = ?`, nick, nick, avatar, avatar, id, tenantID)
		if err != nil {
			return fmt.Errorf("users: fill profile: %w", err)
		}
		u, err := lockUser(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		updated = u
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing was empty: no event
		}
		return s.emit(ctx, tx, EventUpdated, u, "")
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, tenantID, id)
	return updated, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// isRetryable: duplicate key (lost a registration race) or deadlock.
func isRetryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1062 || me.Number == 1213) || errors.Is(err, errReadAgain)
}

// errReadAgain: a row read in the transaction changed under it (a merge);
// the whole find-or-register runs again.
var errReadAgain = errors.New("users: user changed meanwhile; read again")
