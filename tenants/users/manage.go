package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// What the admin console does with users. Every query is scoped by tenant;
// users are addressed by their public id.

// Query selects a page of a tenant's users, newest first.
type Query struct {
	// Search matches a public user id, an openid, a unionid or a phone
	// number exactly, or a nickname by prefix. Empty lists everyone.
	Search string
	After  string // public id of the last user of the previous page
	Limit  int
}

// Page is one page of users; Next is the cursor of the following page, or
// empty on the last one.
type Page struct {
	Users []User
	Next  string
}

// List returns a page of the tenant's users with keyset pagination.
func (s *Store) List(ctx context.Context, tenantID int64, q Query) (*Page, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	q.Search = strings.TrimSpace(q.Search)
	if len(q.Search) > 64 {
		return nil, tenants.Invalid("search is at most 64 characters")
	}
	where, args := []string{"tenant_id = ?"}, []any{tenantID}
	if q.After != "" {
		where = append(where, "id < (SELECT id FROM users WHERE tenant_id = ? AND public_id = ?)")
		args = append(args, tenantID, q.After)
	}
	if q.Search != "" {
		// One exact or prefix lookup per index, united: an OR over the
		// columns would scan the tenant's whole table.
		where = append(where, `id IN (
			SELECT id FROM users WHERE tenant_id = ? AND public_id = ?
			UNION SELECT i.user_id FROM apps a JOIN identities i ON i.app_id = a.id AND i.openid = ? AND i.tenant_id = a.tenant_id
				WHERE a.tenant_id = ?
			UNION SELECT id FROM users WHERE tenant_id = ? AND unionid = ?
			UNION SELECT id FROM users WHERE tenant_id = ? AND phone = ?
			UNION SELECT id FROM users WHERE tenant_id = ? AND external_id = ?
			UNION SELECT id FROM users WHERE tenant_id = ? AND nickname LIKE ?)`)
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.Search) + "%"
		phone := q.Search // stored in E.164: "13800138000" finds "+8613800138000"
		if p, err := NormalizePhone(q.Search); err == nil {
			phone = p
		}
		args = append(args, tenantID, q.Search, q.Search, tenantID, tenantID, q.Search,
			tenantID, phone, tenantID, q.Search, tenantID, like)
	}
	args = append(args, q.Limit+1)
	var list []User
	if err := s.db.SelectContext(ctx, &list, `SELECT `+userColumns+` FROM users WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...); err != nil {
		return nil, fmt.Errorf("users: list: %w", err)
	}
	p := &Page{Users: list}
	if len(list) > q.Limit {
		p.Users = list[:q.Limit]
		p.Next = p.Users[q.Limit-1].PublicID
	}
	return p, nil
}

// ByPublicID loads a user of a tenant by public id.
func (s *Store) ByPublicID(ctx context.Context, tenantID int64, publicID string) (*User, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND public_id = ?`, tenantID, publicID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: load: %w", err)
	}
	return &u, nil
}

// IdentityInfo is a WeChat identity as an admin sees it.
type IdentityInfo struct {
	ID          int64      `db:"id"`
	Kind        string     `db:"kind"` // the app's (tenants.Kind*)
	AppID       string     `db:"appid"`
	OpenID      string     `db:"openid"`
	UnionID     *string    `db:"unionid"`
	CreatedAt   time.Time  `db:"created_at"`
	LastLoginAt *time.Time `db:"last_login_at"`
}

// Identities lists the WeChat identities bound to a user.
func (s *Store) Identities(ctx context.Context, tenantID, userID int64) ([]IdentityInfo, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	var out []IdentityInfo
	err := s.db.SelectContext(ctx, &out,
		`SELECT i.id, a.kind, a.appid, i.openid, i.unionid, i.created_at, i.last_login_at
		 FROM identities i JOIN apps a ON a.id = i.app_id
		 WHERE i.tenant_id = ? AND i.user_id = ? ORDER BY i.id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("users: identities: %w", err)
	}
	return out, nil
}

// Ban is how a user is banned: why (shown to the tenant's admins, never to
// the user) and, optionally, until when.
type Ban struct {
	Reason string
	Until  *time.Time // nil: until an admin lifts it
}

// MaxBanReason bounds a ban's reason, in characters.
const MaxBanReason = 200

func (b Ban) validate(now time.Time) error {
	switch {
	case utf8.RuneCountInString(b.Reason) > MaxBanReason:
		return tenants.Invalid(fmt.Sprintf("the reason is at most %d characters", MaxBanReason))
	case !utf8.ValidString(b.Reason):
		return tenants.Invalid("the reason is not valid text")
	case b.Until != nil && !b.Until.After(now):
		return tenants.Invalid("the ban's end must be in the future")
	case b.Until != nil && b.Until.After(now.AddDate(100, 0, 0)):
		return tenants.Invalid("the ban's end is too far away; leave it empty for a ban without end")
	}
	return nil
}

// SetBanned bans (with no reason and no end) or unbans a user.
func (s *Store) SetBanned(ctx context.Context, tenantID, userID int64, banned bool, actor audit.Actor) error {
	if banned {
		return s.Ban(ctx, tenantID, userID, Ban{}, actor)
	}
	return s.setBan(ctx, tenantID, userID, nil, actor)
}

// Ban bans a user. It also raises the user's session epoch, so every
// session issued so far is refused at once; the caller also deletes them
// from Redis. Banning a banned user again replaces the reason and the end.
func (s *Store) Ban(ctx context.Context, tenantID, userID int64, b Ban, actor audit.Actor) error {
	b.Reason = strings.TrimSpace(b.Reason)
	if err := b.validate(time.Now()); err != nil {
		return err
	}
	return s.setBan(ctx, tenantID, userID, &b, actor)
}

// setBan bans (b set) or unbans (b nil) a user.
func (s *Store) setBan(ctx context.Context, tenantID, userID int64, b *Ban, actor audit.Actor) error {
	defer s.changed(ctx, tenantID, userID)
	return s.manageTx(ctx, func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		query, args, action := `UPDATE users SET status = 'active', ban_reason = NULL, banned_until = NULL WHERE id = ?`,
			[]any{userID}, "user.unbanned"
		var reason *string
		var until *time.Time
		details := map[string]any(nil)
		if b != nil {
			if b.Reason != "" {
				reason = &b.Reason
			}
			if b.Until != nil {
				x := b.Until.UTC().Truncate(time.Millisecond)
				until = &x
			}
			query, args, action = `UPDATE users SET status = 'banned', ban_reason = ?, banned_until = ?,
				session_epoch = session_epoch + 1 WHERE id = ?`, []any{reason, until, userID}, "user.banned"
			details = map[string]any{}
			if reason != nil {
				details["reason"] = *reason
			}
			if until != nil {
				details["until"] = *until
			}
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("users: ban: %w", err)
		}
		event, after := EventUpdated, *u
		after.Status, after.BanReason, after.BannedUntil = StatusActive, nil, nil
		if b != nil {
			event, after.Status, after.SessionEpoch = EventBanned, StatusBanned, u.SessionEpoch+1
			after.BanReason, after.BannedUntil = reason, until
		}
		if err := s.emit(ctx, tx, event, &after, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: action, TargetType: "user", TargetID: u.PublicID, Details: details})
	})
}

// Delete removes a user with its identities, profile, uploaded avatars and login history. The audit log
// keeps a tombstone (the public id and the openids it had); the same WeChat
// user logging in again becomes a new user.
func (s *Store) Delete(ctx context.Context, tenantID, userID int64, actor audit.Actor) error {
	defer s.changed(ctx, tenantID, userID)
	return s.manageTx(ctx, func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		var openids []string
		if err := tx.SelectContext(ctx, &openids,
			`SELECT openid FROM identities WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: delete: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: delete identities: %w", err)
		}
		// The foreign key would cascade; said here so that nobody wonders.
		if _, err := tx.ExecContext(ctx, `DELETE FROM avatars WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: delete avatars: %w", err)
		}
		// No foreign key holds the login history (it costs every batch's
		// insert), so its rows go here, with the user.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_history WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: delete login history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("users: delete: %w", err)
		}
		if err := s.emit(ctx, tx, EventDeleted, u, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "user.deleted", TargetType: "user", TargetID: u.PublicID,
			Details: map[string]any{"openids": openids, "created_at": u.CreatedAt.UTC()}})
	})
}

// Stats are the figures of a tenant's overview.
type Stats struct {
	Users       int `db:"users"`
	Banned      int `db:"banned"`
	LoginsToday int `db:"logins_today"` // users who logged in since midnight UTC
}

// Stats counts a tenant's users.
func (s *Store) Stats(ctx context.Context, tenantID int64, since time.Time) (Stats, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	var st Stats
	err := s.db.GetContext(ctx, &st,
		`SELECT COUNT(*) AS users,
		        COALESCE(SUM(status = 'banned' AND (banned_until IS NULL OR banned_until > ?)), 0) AS banned,
		        COALESCE(SUM(last_login_at >= ?), 0) AS logins_today
		 FROM users WHERE tenant_id = ?`, time.Now().UTC(), since.UTC(), tenantID)
	if err != nil {
		return Stats{}, fmt.Errorf("users: stats: %w", err)
	}
	return st, nil
}

// RecentlyActive returns the ids of up to limit users who logged in since
// since, newest first: the users who may hold live sessions.
func (s *Store) RecentlyActive(ctx context.Context, tenantID int64, since time.Time, limit int) ([]int64, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	var ids []int64
	err := s.db.SelectContext(ctx, &ids,
		`SELECT id FROM users WHERE tenant_id = ? AND last_login_at >= ? ORDER BY last_login_at DESC LIMIT ?`,
		tenantID, since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("users: recently active: %w", err)
	}
	return ids, nil
}

func lockUser(ctx context.Context, tx *sqlx.Tx, tenantID, userID int64) (*User, error) {
	var u User
	err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id = ? FOR UPDATE`, tenantID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: lock: %w", err)
	}
	return &u, nil
}

func (s *Store) manageTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("users: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("users: commit: %w", err)
	}
	return nil
}
