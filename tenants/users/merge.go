package users

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// The merge rule. Two users of a tenant turn out to be one person when a
// unionid shows up for an identity that had none (its app got bound to the
// open platform, or the user shared encrypted user info) and another user
// already holds that unionid. Then, in the login's transaction:
//
//  1. the older user (earlier created_at, then lower id) wins;
//  2. every identity of the loser moves to the winner;
//  3. the winner keeps its own nickname, avatar, phone, unionid and external
//     id, and takes the loser's where it has none; if either was banned the
//     winner is banned (a merge never lifts a ban);
//  4. the loser's whole row and identities are kept in user_merges (its
//     public id resolves to the winner from then on) and in the audit log
//     ("user.merged"), then the loser's row is deleted, which ends its
//     sessions.

// mergeRow is every column of a user, for the snapshot.
type mergeRow struct {
	ID           int64      `db:"id" json:"-"`
	PublicID     string     `db:"public_id" json:"public_id"`
	Nickname     string     `db:"nickname" json:"nickname"`
	AvatarURL    string     `db:"avatar_url" json:"avatar_url"`
	Phone        *string    `db:"phone" json:"phone"`
	UnionID      *string    `db:"unionid" json:"unionid"`
	ExternalID   *string    `db:"external_id" json:"external_id"`
	Status       string     `db:"status" json:"status"`
	SessionEpoch int64      `db:"session_epoch" json:"session_epoch"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	LastLoginAt  *time.Time `db:"last_login_at" json:"last_login_at"`
}

type mergedIdentity struct {
	AppID   int64   `db:"app_id" json:"app_id"`
	OpenID  string  `db:"openid" json:"openid"`
	UnionID *string `db:"unionid" json:"unionid"`
}

// learnUnionID records the unionid WeChat now sends for the identity l of
// u, who had none, merging u with the user that already holds it. It
// returns the user the identity belongs to afterwards, and the internal id
// of the user merged away (0 for none).
func (s *Store) learnUnionID(ctx context.Context, tx *sqlx.Tx, u *User, l Login) (*User, int64, error) {
	var holder int64
	var loser *User
	err := tx.GetContext(ctx, &holder, `SELECT id FROM users WHERE tenant_id = ? AND unionid = ? FOR UPDATE`, l.TenantID, l.UnionID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `UPDATE users SET unionid = ? WHERE id = ? AND tenant_id = ? AND unionid IS NULL`,
			l.UnionID, u.ID, l.TenantID); err != nil {
			return nil, 0, fmt.Errorf("users: set unionid: %w", err) // a duplicate is retried by the caller
		}
		u.UnionID = &l.UnionID
	case err != nil:
		return nil, 0, fmt.Errorf("users: lookup unionid: %w", err)
	case holder != u.ID:
		if u, loser, err = merge(ctx, tx, l.TenantID, u.ID, holder, "unionid"); err != nil {
			return nil, 0, err
		}
		// Backends hear that the loser is gone and the winner changed.
		if err := s.emit(ctx, tx, EventDeleted, loser, ""); err != nil {
			return nil, 0, err
		}
		if err := s.emit(ctx, tx, EventUpdated, u, ""); err != nil {
			return nil, 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET unionid = ? WHERE app_id = ? AND openid = ? AND tenant_id = ?`,
		l.UnionID, l.AppID, l.OpenID, l.TenantID); err != nil {
		return nil, 0, fmt.Errorf("users: identity unionid: %w", err)
	}
	if loser != nil {
		return u, loser.ID, nil
	}
	return u, 0, nil
}

// merge folds users a and b of a tenant into the older one by the rule
// above and returns the winner, and the loser as it was.
func merge(ctx context.Context, tx *sqlx.Tx, tenantID, a, b int64, reason string) (*User, *User, error) {
	var rows []mergeRow
	if err := tx.SelectContext(ctx, &rows, `SELECT id, public_id, nickname, avatar_url, phone, unionid, external_id,
		status, session_epoch, created_at, last_login_at FROM users
		WHERE tenant_id = ? AND id IN (?, ?) ORDER BY created_at, id FOR UPDATE`, tenantID, a, b); err != nil {
		return nil, nil, fmt.Errorf("users: merge: %w", err)
	}
	if len(rows) != 2 {
		return nil, nil, fmt.Errorf("users: merge: %d of 2 users found", len(rows))
	}
	win, lose := rows[0], rows[1]
	var ids []mergedIdentity
	if err := tx.SelectContext(ctx, &ids, `SELECT app_id, openid, unionid FROM identities WHERE tenant_id = ? AND user_id = ? ORDER BY id`,
		tenantID, lose.ID); err != nil {
		return nil, nil, fmt.Errorf("users: merge: %w", err)
	}
	snapshot, err := json.Marshal(map[string]any{"user": lose, "identities": ids})
	if err != nil {
		return nil, nil, fmt.Errorf("users: merge: %w", err)
	}
	status := win.Status
	if lose.Status == StatusBanned {
		status = StatusBanned
	}
	lastLogin := win.LastLoginAt
	if lose.LastLoginAt != nil && (lastLogin == nil || lose.LastLoginAt.After(*lastLogin)) {
		lastLogin = lose.LastLoginAt
	}
	steps := []struct {
		query string
		args  []any
	}{
		// Free the loser's unique values before the winner takes them.
		{`UPDATE users SET unionid = NULL, phone = NULL, external_id = NULL WHERE id = ?`, []any{lose.ID}},
		{`UPDATE identities SET user_id = ? WHERE tenant_id = ? AND user_id = ?`, []any{win.ID, tenantID, lose.ID}},
		{`UPDATE users SET nickname = IF(nickname = '', ?, nickname), avatar_url = IF(avatar_url = '', ?, avatar_url),
			phone = COALESCE(phone, ?), unionid = COALESCE(unionid, ?), external_id = COALESCE(external_id, ?),
			status = ?, last_login_at = ? WHERE id = ?`,
			[]any{lose.Nickname, lose.AvatarURL, lose.Phone, lose.UnionID, lose.ExternalID, status, lastLogin, win.ID}},
		// The loser's uploaded avatar follows its URL to a winner without one;
		// otherwise it goes with the loser's row.
		{`UPDATE avatars SET user_id = ? WHERE tenant_id = ? AND user_id = ? AND ? = ''`, []any{win.ID, tenantID, lose.ID, win.AvatarURL}},
		// The loser's logins were the same person's: the winner's history
		// shows them.
		{`UPDATE login_history SET user_id = ? WHERE tenant_id = ? AND user_id = ?`, []any{win.ID, tenantID, lose.ID}},
		{`INSERT INTO user_merges (tenant_id, winner_id, loser_public_id, reason, snapshot) VALUES (?, ?, ?, ?, ?)`,
			[]any{tenantID, win.ID, lose.PublicID, reason, snapshot}},
		{`DELETE FROM users WHERE id = ? AND tenant_id = ?`, []any{lose.ID, tenantID}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return nil, nil, fmt.Errorf("users: merge: %w", err)
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: audit.Actor{Type: "system", ID: "merge"},
		Action: "user.merged", TargetType: "user", TargetID: win.PublicID,
		Details: map[string]any{"merged": lose.PublicID, "reason": reason, "identities_moved": len(ids)}}); err != nil {
		return nil, nil, err
	}
	u := new(User)
	if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ?`, win.ID); err != nil {
		return nil, nil, fmt.Errorf("users: merge: reload: %w", err)
	}
	return u, &User{ID: lose.ID, TenantID: tenantID, PublicID: lose.PublicID, Nickname: lose.Nickname,
		AvatarURL: lose.AvatarURL, Phone: lose.Phone, UnionID: lose.UnionID, Status: lose.Status,
		SessionEpoch: lose.SessionEpoch, CreatedAt: lose.CreatedAt, LastLoginAt: lose.LastLoginAt}, nil
}

// MergedInto returns the user a merged-away public id now belongs to.
func (s *Store) MergedInto(ctx context.Context, tenantID int64, publicID string) (*User, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT winner_id FROM user_merges WHERE tenant_id = ? AND loser_public_id = ?`, tenantID, publicID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: merged into: %w", err)
	}
	return s.ByID(ctx, tenantID, id)
}
