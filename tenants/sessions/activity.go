package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// A session's last use is in its record (Session.LastSeen), renewed with
// the idle expiry: it used to be worked out from the record's TTL (expiry
// minus the idle lifetime), which is wrong as soon as the tenant's idle
// lifetime changes, and in a session's last idle stretch, where the TTL is
// held to the absolute expiry.
//
// A user's login history is no longer kept here, next to the sessions
// (a Redis list of the last 10 logins, ~81 bytes of every session): it is
// in MySQL, written in batches by the sign-in core (tenants/loginlog).
// Lists left by older versions, <prefix>:t:<tenant>:u:<user>:h, expire by
// themselves with the sessions they were written with.

// ListUsers returns the live sessions of the given users of a tenant, with
// their app and last use: those whose record exists, has not reached its
// absolute expiry and was issued at the tenant's current epoch. Two
// pipelined round trips, O(sessions of these users); never a SCAN.
func (s *Store) ListUsers(ctx context.Context, tenantID int64, userIDs []int64, tenantEpoch int64) ([]Info, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	idx := make([]*redis.MapStringStringCmd, len(userIDs))
	for i, uid := range userIDs {
		idx[i] = pipe.HGetAll(ctx, s.userKey(tenantID, uid))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	var cands []Info
	var legacy []string // a legacy session's index value (its issue time, address and device)
	for i, uid := range userIDs {
		for f, v := range idx[i].Val() {
			cands = append(cands, Info{ID: idOfField(f), UserID: uid})
			legacy = append(legacy, v)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	pipe = s.rdb.Pipeline()
	gets := make([]*redis.StringCmd, len(cands))
	ttls := make([]*redis.DurationCmd, len(cands))
	for i, c := range cands {
		gets[i] = pipe.Get(ctx, s.sessionKey(tenantID, c.ID))
		ttls[i] = pipe.PTTL(ctx, s.sessionKey(tenantID, c.ID))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	now := s.now()
	out := cands[:0]
	for i, c := range cands {
		v, err := gets[i].Result()
		if err != nil {
			continue // gone: expired or revoked
		}
		sess, err := decode(c.ID, tenantID, v)
		if err != nil || !now.Before(sess.ExpiresAt) || sess.TenantEpoch < tenantEpoch || ttls[i].Val() <= 0 {
			continue
		}
		if len(c.ID) == idLen {
			c.IssuedAt, c.IP, c.UserAgent, c.LastSeen = sess.IssuedAt, sess.IP, sess.Device, sess.LastSeen
		} else {
			c.IssuedAt, c.IP, c.UserAgent = parseIndexEntry(legacy[i])
			c.LastSeen = c.IssuedAt
		}
		c.AppID, c.UserEpoch, c.ExpiresIn, c.ExpiresAt = sess.AppID, sess.UserEpoch, ttls[i].Val(), sess.ExpiresAt
		out = append(out, c)
	}
	return out, nil
}
