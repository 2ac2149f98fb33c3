package webhooks

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/users"
)

// userData is the "data" of user events: the user as a tenant backend sees
// it (public id, never the internal one), and the openid that logged in.
type userData struct {
	User   userJSON `json:"user"`
	OpenID string   `json:"openid,omitempty"`
}

type userJSON struct {
	ID          string     `json:"id"`
	Nickname    string     `json:"nickname"`
	AvatarURL   string     `json:"avatar_url"`
	UnionID     string     `json:"unionid,omitempty"`
	PhoneBound  bool       `json:"phone_bound"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// UserEvent writes a user change to the outbox inside its transaction; it
// makes Store a users.EventSink.
func (s *Store) UserEvent(ctx context.Context, tx *sqlx.Tx, e users.Event) error {
	u := e.User
	j := userJSON{ID: u.PublicID, Nickname: u.Nickname, AvatarURL: u.AvatarURL, PhoneBound: u.PhoneBound(),
		Status: u.Status, CreatedAt: u.CreatedAt.UTC(), LastLoginAt: u.LastLoginAt}
	if u.UnionID != nil {
		j.UnionID = *u.UnionID
	}
	return s.Enqueue(ctx, tx, e.TenantID, e.Type, userData{User: j, OpenID: e.OpenID})
}

// SessionRevoked reports that a user's session ended (logout or an
// admin's revocation). Sessions live in Redis, so there is no transaction
// to share: the event is written on its own, after the revocation.
func (s *Store) SessionRevoked(ctx context.Context, tenantID int64, userPublicID, sessionID, reason string) error {
	return s.Enqueue(ctx, s.db, tenantID, SessionRevoked, map[string]any{
		"user": map[string]string{"id": userPublicID}, "session_id": sessionID, "reason": reason})
}

var _ users.EventSink = (*Store)(nil)
