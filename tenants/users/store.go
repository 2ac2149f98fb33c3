package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
)

// Store keeps users and identities in MySQL. Every query is scoped by tenant.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// FindOrRegister returns the user bound to the identity (app, openid),
// creating the user and the identity in one transaction when it is new.
// Concurrent first logins of one person produce exactly one user: the
// unique key on (app_id, openid) picks the winner and the others read it.
// created reports whether this call made the user.
func (s *Store) FindOrRegister(ctx context.Context, l Login) (u *User, created bool, err error) {
	for attempt := 0; attempt < 4; attempt++ {
		u, err = s.byIdentity(ctx, l.TenantID, l.AppID, l.OpenID)
		if err == nil {
			return u, false, s.touch(ctx, u, l)
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
		u, err = s.register(ctx, l)
		if err == nil {
			return u, true, nil
		}
		if !isRetryable(err) {
			return nil, false, err
		}
		// Someone else registered the same identity (or unionid) first, or
		// InnoDB chose us as a deadlock victim: read theirs.
	}
	return nil, false, fmt.Errorf("users: find-or-register did not settle: %w", err)
}

func (s *Store) byIdentity(ctx context.Context, tenantID, appID int64, openid string) (*User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
		FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.app_id = ? AND i.openid = ? AND i.tenant_id = ?`, appID, openid, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: lookup identity: %w", err)
	}
	return &u, nil
}

// register creates the identity, and its user unless the tenant already
// knows the person by unionid (another app of the same open platform).
func (s *Store) register(ctx context.Context, l Login) (*User, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	var userID int64
	if l.UnionID != "" {
		err := tx.GetContext(ctx, &userID,
			`SELECT id FROM users WHERE tenant_id = ? AND unionid = ? FOR UPDATE`, l.TenantID, l.UnionID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("users: lookup unionid: %w", err)
		}
	}
	if userID == 0 {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO users (tenant_id, public_id, unionid, last_login_at) VALUES (?, ?, ?, NOW(3))`,
			l.TenantID, newPublicID(), nullable(l.UnionID))
		if err != nil {
			return nil, fmt.Errorf("users: insert user: %w", err)
		}
		userID, _ = res.LastInsertId()
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO identities (tenant_id, user_id, app_id, openid, unionid, last_login_at)
		 VALUES (?, ?, ?, ?, ?, NOW(3))`,
		l.TenantID, userID, l.AppID, l.OpenID, nullable(l.UnionID)); err != nil {
		return nil, fmt.Errorf("users: insert identity: %w", err)
	}
	var u User
	if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID); err != nil {
		return nil, fmt.Errorf("users: reload: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("users: commit: %w", err)
	}
	return &u, nil
}

// touch records a returning login, and stores the unionid when WeChat
// sends one the user did not have yet.
func (s *Store) touch(ctx context.Context, u *User, l Login) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if l.UnionID != "" && u.UnionID == nil {
		_, err := s.db.ExecContext(ctx,
			`UPDATE users SET last_login_at = ?, unionid = ? WHERE id = ? AND tenant_id = ? AND unionid IS NULL`,
			now, l.UnionID, u.ID, l.TenantID)
		if err != nil && !isDuplicate(err) { // unionid held by another user: issue for merging, not for login
			return fmt.Errorf("users: touch: %w", err)
		}
		if err == nil {
			u.UnionID = &l.UnionID
		}
		_, err = s.db.ExecContext(ctx,
			`UPDATE identities SET unionid = ?, last_login_at = ? WHERE app_id = ? AND openid = ? AND tenant_id = ?`,
			l.UnionID, now, l.AppID, l.OpenID, l.TenantID)
		if err != nil {
			return fmt.Errorf("users: touch identity: %w", err)
		}
	}
	if _, err := s.db.ExecContext(ctx,
		`UPDATE users SET last_login_at = ? WHERE id = ? AND tenant_id = ?`, now, u.ID, l.TenantID); err != nil {
		return fmt.Errorf("users: touch: %w", err)
	}
	u.LastLoginAt = &now
	return nil
}

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

// Validate checks lengths and the avatar URL's scheme.
func (p Profile) Validate() error {
	if p.Nickname != nil && (utf8.RuneCountInString(*p.Nickname) > 64 || !utf8.ValidString(*p.Nickname)) {
		return tenants.Invalid("nickname must be at most 64 characters")
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
	if len(sets) > 0 {
		args = append(args, id, tenantID)
		if _, err := s.db.ExecContext(ctx,
			`UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ? AND tenant_id = ?`, args...); err != nil {
			return nil, fmt.Errorf("users: update profile: %w", err)
		}
	}
	return s.ByID(ctx, tenantID, id)
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
	return errors.As(err, &me) && (me.Number == 1062 || me.Number == 1213)
}
