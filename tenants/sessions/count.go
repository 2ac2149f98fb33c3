package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// CountLive counts the live sessions of the given users of a tenant: those
// whose record still exists, has not reached its absolute expiry, and was
// issued at the tenant's current epoch (a tenant-wide revocation leaves the
// records in place until they expire). It costs two pipelined round trips
// and O(sessions of these users); it is meant for dashboards over a bounded
// set of recent users.
func (s *Store) CountLive(ctx context.Context, tenantID int64, userIDs []int64, tenantEpoch int64) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	pipe := s.rdb.Pipeline()
	idCmds := make([]*redis.StringSliceCmd, len(userIDs))
	for i, uid := range userIDs {
		idCmds[i] = pipe.HKeys(ctx, s.userKey(tenantID, uid))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sessions: count: %w", err)
	}
	var ids []string
	for _, c := range idCmds {
		for _, f := range c.Val() {
			ids = append(ids, idOfField(f))
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	pipe = s.rdb.Pipeline()
	gets := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		gets[i] = pipe.Get(ctx, s.sessionKey(tenantID, id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("sessions: count: %w", err)
	}
	now, n := s.now(), 0
	for i, g := range gets {
		v, err := g.Result()
		if err != nil {
			continue // gone: expired or revoked
		}
		sess, err := decode(ids[i], tenantID, v)
		if err == nil && now.Before(sess.ExpiresAt) && sess.TenantEpoch >= tenantEpoch {
			n++
		}
	}
	return n, nil
}
