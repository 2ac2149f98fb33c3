package sessions

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// CountUsers adds up the sessions recorded for the given users of a tenant,
// one pipelined HLEN per user. It is an estimate for dashboards: entries of
// expired sessions stay in a user's hash until ListUser tidies it, and a
// tenant-wide revocation (an epoch bump) does not remove them.
func (s *Store) CountUsers(ctx context.Context, tenantID int64, userIDs []int64) (int, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(userIDs))
	for i, id := range userIDs {
		cmds[i] = pipe.HLen(ctx, s.userKey(tenantID, id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sessions: count: %w", err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}
