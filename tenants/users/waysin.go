package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// Errors of linking and unlinking ways in.
var (
	// ErrIdentityInUse: the way in belongs to another user of the tenant
	// (its openid, or the unionid it comes with). Accounts join only by
	// the unionid rule of merge.go, never by a link.
	ErrIdentityInUse = errors.New("users: identity bound to another user")
	// ErrLastWayIn: unlinking it would leave the user no way to sign in.
	ErrLastWayIn = errors.New("users: the user's last way in")
	// ErrNoWayIn: the user has no way in of that id.
	ErrNoWayIn = errors.New("users: no such way in")
)

// KindPhone is the kind of the way in by phone number (SMS codes, and the
// existing_only policy's match); the other kinds are the app kinds
// (tenants.Kind*) of the identities.
const KindPhone = "phone"

// PhoneWayID is the id of the phone number among a user's ways in.
const PhoneWayID = "phone"

// WayIn is one way a user can sign in: a WeChat identity in one of the
// tenant's apps, or the phone number.
type WayIn struct {
	ID         string     // the identity's id, or PhoneWayID
	Kind       string     // the app's kind (tenants.Kind*), or KindPhone
	AppID      string     // the app's AppID; "" for the phone
	LastUsedAt *time.Time // the identity's last sign-in; nil when not known
}

type wayRow struct {
	ID          int64      `db:"id"`
	Kind        string     `db:"kind"`
	AppID       string     `db:"appid"`
	UnionID     *string    `db:"unionid"`
	LastLoginAt *time.Time `db:"last_login_at"`
}

const wayColumns = `i.id, a.kind, a.appid, i.unionid, i.last_login_at
	FROM identities i JOIN apps a ON a.id = i.app_id`

// WaysIn lists the ways u can sign in: its identities, oldest first, then
// its phone number when one is bound.
func (s *Store) WaysIn(ctx context.Context, u *User) ([]WayIn, error) {
	s.FlushTouches(ctx) // this node's returning logins first (touches.go)
	var rows []wayRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+wayColumns+`
		WHERE i.tenant_id = ? AND i.user_id = ? ORDER BY i.id`, u.TenantID, u.ID); err != nil {
		return nil, fmt.Errorf("users: ways in: %w", err)
	}
	out := make([]WayIn, 0, len(rows)+1)
	for _, r := range rows {
		out = append(out, WayIn{ID: strconv.FormatInt(r.ID, 10), Kind: r.Kind, AppID: r.AppID, LastUsedAt: r.LastLoginAt})
	}
	if u.PhoneBound() {
		out = append(out, WayIn{ID: PhoneWayID, Kind: KindPhone, LastUsedAt: u.PhoneLastLoginAt})
	}
	return out, nil
}

// Link binds the identity l to the signed-in user userID: one more way in
// to the same account. An identity the user has already is no change. An
// identity bound to another user, or coming with a unionid another user
// holds, is ErrIdentityInUse and changes nothing.
func (s *Store) Link(ctx context.Context, l Login, userID int64, actor audit.Actor) (u *User, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		u, err = s.linkOnce(ctx, l, userID, actor)
		if err == nil || !isRetryable(err) {
			return u, err
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, err
		}
	}
	return nil, err
}

func (s *Store) linkOnce(ctx context.Context, l Login, userID int64, actor audit.Actor) (*User, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	u, err := lockUser(ctx, tx, l.TenantID, userID)
	if err != nil {
		return nil, err
	}
	var owner int64
	err = tx.GetContext(ctx, &owner, `SELECT user_id FROM identities WHERE app_id = ? AND openid = ? AND tenant_id = ?`,
		l.AppID, l.OpenID, l.TenantID)
	switch {
	case err == nil && owner == userID:
		return u, nil
	case err == nil:
		return nil, ErrIdentityInUse
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("users: link: %w", err)
	}
	if l.UnionID != "" {
		var holder int64
		err := tx.GetContext(ctx, &holder, `SELECT id FROM users WHERE tenant_id = ? AND unionid = ?`, l.TenantID, l.UnionID)
		switch {
		case err == nil && holder != userID:
			return nil, ErrIdentityInUse
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("users: link: %w", err)
		}
	}
	if err := insertIdentity(ctx, tx, l, userID); err != nil {
		return nil, err // a duplicate (a race) is retried and then seen above
	}
	if l.UnionID != "" && u.UnionID == nil {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET unionid = ? WHERE id = ? AND unionid IS NULL`, l.UnionID, userID); err != nil {
			return nil, fmt.Errorf("users: link: %w", err)
		}
		u.UnionID = &l.UnionID
	}
	if err := s.emit(ctx, tx, EventUpdated, u, ""); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: l.TenantID, Actor: actor, Action: "user.identity_linked",
		TargetType: "user", TargetID: u.PublicID, Details: map[string]any{"app_id": l.AppID}}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("users: commit: %w", err)
	}
	s.changed(ctx, l.TenantID, userID)
	return u, nil
}

// Unlink removes one of the user's ways in (a WayIn's ID), unless it is
// the last: ErrLastWayIn. An unknown id is ErrNoWayIn. When the identity
// unlinked was the only one carrying the user's unionid, the user forgets
// the unionid too, so that the same WeChat user signing in there again is
// not joined back by it; one that another remaining identity carries stays
// (and brings the identity back on its next sign-in: the unionid rule).
func (s *Store) Unlink(ctx context.Context, tenantID, userID int64, id string, actor audit.Actor) error {
	defer s.changed(ctx, tenantID, userID)
	return s.manageTx(ctx, func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, tenantID, userID)
		if err != nil {
			return err
		}
		var rows []wayRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+wayColumns+`
			WHERE i.tenant_id = ? AND i.user_id = ? ORDER BY i.id FOR UPDATE`, tenantID, userID); err != nil {
			return fmt.Errorf("users: unlink: %w", err)
		}
		ways := len(rows)
		if u.PhoneBound() {
			ways++
		}
		details := map[string]any{}
		switch gone := findWay(rows, id); {
		case id == PhoneWayID && u.PhoneBound(), gone != nil:
			if ways <= 1 {
				return ErrLastWayIn
			}
			if gone == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET phone = NULL WHERE id = ?`, userID); err != nil {
					return fmt.Errorf("users: unlink phone: %w", err)
				}
				u.Phone, details["kind"] = nil, KindPhone
				break
			}
			if err := unlinkIdentity(ctx, tx, u, rows, gone); err != nil {
				return err
			}
			details["kind"], details["appid"] = gone.Kind, gone.AppID
		default:
			return ErrNoWayIn
		}
		if err := s.emit(ctx, tx, EventUpdated, u, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "user.identity_unlinked",
			TargetType: "user", TargetID: u.PublicID, Details: details})
	})
}

func findWay(rows []wayRow, id string) *wayRow {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	for i := range rows {
		if rows[i].ID == n {
			return &rows[i]
		}
	}
	return nil
}

// unlinkIdentity deletes gone, one of u's identities rows, and the user's
// unionid when no other row carries it.
func unlinkIdentity(ctx context.Context, tx *sqlx.Tx, u *User, rows []wayRow, gone *wayRow) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE id = ? AND user_id = ?`, gone.ID, u.ID); err != nil {
		return fmt.Errorf("users: unlink: %w", err)
	}
	if u.UnionID == nil || gone.UnionID == nil || *gone.UnionID != *u.UnionID {
		return nil
	}
	for _, r := range rows {
		if r.ID != gone.ID && r.UnionID != nil && *r.UnionID == *u.UnionID {
			return nil
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET unionid = NULL WHERE id = ?`, u.ID); err != nil {
		return fmt.Errorf("users: unlink: %w", err)
	}
	u.UnionID = nil
	return nil
}
