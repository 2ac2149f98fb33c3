package sessions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A session's last use and a user's recent logins. Both are written where
// the store already writes, in the same round trip: the last use when Get
// slides the idle expiry (at most once a step per session and node, so it
// is true to within that step), a login when Create makes the session.
//
//	<prefix>:t:<tenant>:u:<user>:seen   hash: session id → unix seconds of its last use
//	<prefix>:t:<tenant>:u:<user>:h      list: the user's last logins, newest first
//
// Last use used to be worked out from the record's TTL (expiry minus the
// idle lifetime). That is wrong as soon as the tenant's idle lifetime
// changes (a shorter one put every older session's "last seen" at the
// moment of the listing), and in a session's last idle stretch, where the
// TTL is held to the absolute expiry.

// MaxLoginHistory is how many logins a user's history keeps.
const MaxLoginHistory = 20

func (s *Store) seenKey(tenantID, userID int64) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":u:" + strconv.FormatInt(userID, 10) + ":seen"
}

func (s *Store) historyKey(tenantID, userID int64) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":u:" + strconv.FormatInt(userID, 10) + ":h"
}

// noteLogin queues the login of n into pipe: the history keeps its last
// MaxLoginHistory entries for as long as a session may live.
func (s *Store) noteLogin(ctx context.Context, pipe redis.Pipeliner, n New, now time.Time) {
	key := s.historyKey(n.TenantID, n.UserID)
	pipe.LPush(ctx, key, loginEntry(now, n.AppID, n.IP, n.UserAgent))
	pipe.LTrim(ctx, key, 0, MaxLoginHistory-1)
	pipe.Expire(ctx, key, n.Absolute)
}

// noteSeen queues a session's use at now into pipe. The hash lives an idle
// lifetime past the latest use of any of the user's sessions, so it
// outlives each of them.
func (s *Store) noteSeen(ctx context.Context, pipe redis.Pipeliner, sess *Session, now time.Time, idle time.Duration) {
	key := s.seenKey(sess.TenantID, sess.UserID)
	pipe.HSet(ctx, key, sess.ID, strconv.FormatInt(now.Unix(), 10))
	pipe.Expire(ctx, key, idle)
}

// Login is one login of a user, as the history keeps it.
type Login struct {
	At        time.Time
	AppID     int64
	IP        string
	UserAgent string // a summary
}

// loginEntry is "unix|app|ip|device", kept short (maxIndexEntry bytes) for
// the reason the index's values are.
func loginEntry(at time.Time, appID int64, ip, userAgent string) string {
	head := strconv.FormatInt(at.Unix(), 10) + "|" + strconv.FormatInt(appID, 10) + "|" + clip(ip, 45) + "|"
	return head + strings.TrimSpace(clip(summarizeUA(userAgent), max(0, maxIndexEntry-len(head))))
}

// LoginHistory returns the user's last logins, newest first.
func (s *Store) LoginHistory(ctx context.Context, tenantID, userID int64) ([]Login, error) {
	vals, err := s.rdb.LRange(ctx, s.historyKey(tenantID, userID), 0, MaxLoginHistory-1).Result()
	if err != nil {
		return nil, fmt.Errorf("sessions: login history: %w", err)
	}
	out := make([]Login, 0, len(vals))
	for _, v := range vals {
		f := strings.SplitN(v, "|", 4)
		if len(f) != 4 {
			continue
		}
		sec, err1 := strconv.ParseInt(f[0], 10, 64)
		app, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Login{At: time.Unix(sec, 0), AppID: app, IP: f[2], UserAgent: f[3]})
	}
	return out, nil
}

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
	seen := make([]*redis.MapStringStringCmd, len(userIDs))
	for i, uid := range userIDs {
		idx[i] = pipe.HGetAll(ctx, s.userKey(tenantID, uid))
		seen[i] = pipe.HGetAll(ctx, s.seenKey(tenantID, uid))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	var cands []Info
	for i, uid := range userIDs {
		for id, v := range idx[i].Val() {
			info := Info{ID: id, UserID: uid}
			info.IssuedAt, info.IP, info.UserAgent = parseIndexEntry(v)
			info.LastSeen = seenAt(seen[i].Val()[id], info.IssuedAt)
			cands = append(cands, info)
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
		c.AppID, c.UserEpoch, c.ExpiresIn, c.ExpiresAt = sess.AppID, sess.UserEpoch, ttls[i].Val(), sess.ExpiresAt
		out = append(out, c)
	}
	return out, nil
}

// seenAt reads a last-use value; a session never used since its login
// was last seen then.
func seenAt(v string, issued time.Time) time.Time {
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < issued.Unix() {
		return issued
	}
	return time.Unix(sec, 0)
}
