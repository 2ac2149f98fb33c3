package api

import (
	"context"
	"time"

	"miniauth/tenants"
)

// revokeSession ends one session: first in MySQL, where the revocation
// outlives any Redis restored from an older snapshot (requireSession checks
// it), then in Redis. until is the session's absolute expiry, or a bound on
// it when the session itself is not at hand.
func (s *Server) revokeSession(ctx context.Context, t *tenants.Tenant, userID int64, sessionID string, until time.Time) error {
	if err := s.deps.Users.NoteRevoked(ctx, t.ID, userID, sessionID, until); err != nil {
		return err
	}
	return s.deps.Sessions.Revoke(ctx, t.ID, userID, sessionID)
}
