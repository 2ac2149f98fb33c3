package users

import (
	"context"
	"fmt"
)

// RevokeSessions raises the user's session epoch, so that every session
// issued so far is refused on the next request, on every node, even one
// that a Redis restored from an older snapshot brings back. The caller also
// deletes the sessions from Redis.
func (s *Store) RevokeSessions(ctx context.Context, tenantID, userID int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE users SET session_epoch = session_epoch + 1 WHERE tenant_id = ? AND id = ?`, tenantID, userID)
	if err != nil {
		return fmt.Errorf("users: revoke sessions: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	s.changed(ctx, tenantID, userID)
	return nil
}
