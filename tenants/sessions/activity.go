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

// A user's recent logins, written in the pipeline that makes the session:
//
//	<prefix>:t:<tenant>:u:<user>:h      list: the user's last logins, newest first
//
// It outlives revocations (it is what the console shows of a user's
// logins). A session's last use is in its record (Session.LastSeen),
// renewed with the idle expiry: it used to be worked out from the record's
// TTL (expiry minus the idle lifetime), which is wrong as soon as the
// tenant's idle lifetime changes, and in a session's last idle stretch,
// where the TTL is held to the absolute expiry.

// MaxLoginHistory is how many logins a user's history keeps.
const MaxLoginHistory = 10

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

// Login is one login of a user, as the history keeps it.
type Login struct {
	At        time.Time
	AppID     int64
	IP        string
	UserAgent string // a summary
}

// maxHistoryEntry is Redis's default list-max-listpack-size in bytes per
// entry kept compact; a login entry stays within it.
const maxHistoryEntry = 64

// loginEntry is "unix|app|ip|device", at most maxHistoryEntry bytes.
func loginEntry(at time.Time, appID int64, ip, userAgent string) string {
	head := strconv.FormatInt(at.Unix(), 10) + "|" + strconv.FormatInt(appID, 10) + "|" + clip(ip, 45) + "|"
	return head + strings.TrimSpace(clip(summarizeUA(userAgent), max(0, maxHistoryEntry-len(head))))
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
