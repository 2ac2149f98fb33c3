package users

import (
	"context"
	"fmt"
	"time"
)

// NoteRevoked remembers that one session of a user was ended, until the
// session's absolute expiry. Write it before deleting the session from
// Redis. It also clears a few long-expired entries, so the table stays the
// size of the revocations still in force.
func (s *Store) NoteRevoked(ctx context.Context, tenantID, userID int64, sessionID string, until time.Time) error {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO revoked_sessions (tenant_id, session_id, user_id, expires_at) VALUES (?, ?, ?, ?)
		 ON DUPLICATE KEY UPDATE expires_at = GREATEST(expires_at, VALUES(expires_at))`,
		tenantID, sessionID, userID, until.UTC()); err != nil {
		return fmt.Errorf("users: note revoked session: %w", err)
	}
	s.changed(ctx, tenantID, userID)
	if _, err := s.db.ExecContext(ctx,
		`DELETE FROM revoked_sessions WHERE expires_at < ? LIMIT 100`, time.Now().UTC()); err != nil {
		return fmt.Errorf("users: prune revoked sessions: %w", err)
	}
	return nil
}
