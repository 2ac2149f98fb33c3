package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ByID returns a live session by its id without touching its expiry: what
// introspection of an access token needs to tell whether the session the
// token was issued from still stands. Gone, expired and revoked sessions,
// and sessions of an older tenant epoch, give ErrNotFound.
func (s *Store) ByID(ctx context.Context, tenantID int64, id string, p Policy) (*Session, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	v, err := s.reads.get(ctx, s.sessionKey(tenantID, id))
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: get: %w", err)
	}
	sess, err := decode(id, tenantID, v)
	if err != nil {
		return nil, err
	}
	if !s.now().Before(sess.ExpiresAt) || sess.TenantEpoch < p.TenantEpoch {
		return nil, ErrNotFound
	}
	return sess, nil
}
