package users

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// IdentityOf returns the identity of user in app that logged in last: the
// openid WeChat knows the user by there.
func (s *Store) IdentityOf(ctx context.Context, tenantID, userID, appID int64) (*Identity, error) {
	var id Identity
	err := s.db.GetContext(ctx, &id, `SELECT id, tenant_id, user_id, app_id, openid, unionid FROM identities
		WHERE tenant_id = ? AND user_id = ? AND app_id = ? ORDER BY last_login_at DESC, id DESC LIMIT 1`,
		tenantID, userID, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("users: identity: %w", err)
	}
	return &id, nil
}
