package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecentPage is a page of the users who logged in since a time, latest
// login first: those who may hold live sessions. Next is the public id of
// the page's last user, the cursor of the following page; empty at the end.
type RecentPage struct {
	Users []User
	Next  string
}

// Recent returns a page of the tenant's users who logged in since since,
// after the user whose public id is after (empty: from the latest). It
// walks the index (tenant_id, last_login_at, id); an unknown cursor is
// refused.
func (s *Store) Recent(ctx context.Context, tenantID int64, since time.Time, after string, limit int) (*RecentPage, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	where, args := "tenant_id = ? AND last_login_at >= ?", []any{tenantID, since.UTC()}
	if after != "" {
		var cur struct {
			ID    int64      `db:"id"`
			Login *time.Time `db:"last_login_at"`
		}
		err := s.db.GetContext(ctx, &cur, `SELECT id, last_login_at FROM users WHERE tenant_id = ? AND public_id = ?`, tenantID, after)
		if errors.Is(err, sql.ErrNoRows) || err == nil && cur.Login == nil {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("users: recent: %w", err)
		}
		where += " AND (last_login_at < ? OR last_login_at = ? AND id < ?)"
		args = append(args, *cur.Login, *cur.Login, cur.ID)
	}
	args = append(args, limit+1)
	var list []User
	if err := s.db.SelectContext(ctx, &list, `SELECT `+userColumns+` FROM users WHERE `+where+
		` ORDER BY last_login_at DESC, id DESC LIMIT ?`, args...); err != nil {
		return nil, fmt.Errorf("users: recent: %w", err)
	}
	p := &RecentPage{Users: list}
	if len(list) > limit {
		p.Users = list[:limit]
		p.Next = p.Users[limit-1].PublicID
	}
	return p, nil
}
