package admins

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoSession is returned for an unknown, expired or revoked console
// session.
var ErrNoSession = errors.New("admins: no such console session")

// Console keeps console sign-ins in Redis. Keys:
//
//	<prefix>:admin:s:<sha256 of the cookie>   the session, TTL = idle expiry
//	<prefix>:admin:a:<admin id>:s             set of the admin's session ids
//
// Like user sessions, Redis holds only the hash of the cookie value.
type Console struct {
	rdb      redis.UniversalClient
	prefix   string
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

// NewConsole returns a Console whose sessions end after idle without use,
// or absolute after sign-in at the latest.
func NewConsole(rdb redis.UniversalClient, prefix string, idle, absolute time.Duration) *Console {
	if idle <= 0 {
		idle = 2 * time.Hour
	}
	if absolute <= 0 {
		absolute = 12 * time.Hour
	}
	return &Console{rdb: rdb, prefix: prefix, idle: idle, absolute: absolute, now: time.Now}
}

// ConsoleSession is a signed-in admin's session. CSRF must come back in a
// header with every state-changing request.
type ConsoleSession struct {
	ID        string
	AdminID   int64
	CSRF      string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

func (c *Console) sessionKey(id string) string { return c.prefix + ":admin:s:" + id }
func (c *Console) adminKey(adminID int64) string {
	return c.prefix + ":admin:a:" + strconv.FormatInt(adminID, 10) + ":s"
}

// Create starts a session for adminID and returns the cookie value, which
// exists nowhere else.
func (c *Console) Create(ctx context.Context, adminID int64) (token string, s *ConsoleSession, err error) {
	token = randomToken()
	now := c.now()
	s = &ConsoleSession{ID: hashToken(token), AdminID: adminID, CSRF: randomToken(),
		IssuedAt: now, ExpiresAt: now.Add(c.absolute)}
	rec := strings.Join([]string{"1", strconv.FormatInt(adminID, 10), strconv.FormatInt(now.Unix(), 10),
		strconv.FormatInt(s.ExpiresAt.Unix(), 10), s.CSRF}, "|")
	pipe := c.rdb.Pipeline()
	pipe.Set(ctx, c.sessionKey(s.ID), rec, min(c.idle, c.absolute))
	pipe.SAdd(ctx, c.adminKey(adminID), s.ID)
	pipe.Expire(ctx, c.adminKey(adminID), c.absolute)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("admins: create console session: %w", err)
	}
	return token, s, nil
}

// Get returns the session of a cookie value and slides its idle expiry.
func (c *Console) Get(ctx context.Context, token string) (*ConsoleSession, error) {
	if !wellFormed(token) {
		return nil, ErrNoSession
	}
	id := hashToken(token)
	v, err := c.rdb.Get(ctx, c.sessionKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("admins: console session: %w", err)
	}
	f := strings.Split(v, "|")
	if len(f) != 5 || f[0] != "1" {
		return nil, ErrNoSession
	}
	adminID, _ := strconv.ParseInt(f[1], 10, 64)
	issued, _ := strconv.ParseInt(f[2], 10, 64)
	expires, _ := strconv.ParseInt(f[3], 10, 64)
	s := &ConsoleSession{ID: id, AdminID: adminID, CSRF: f[4],
		IssuedAt: time.Unix(issued, 0), ExpiresAt: time.Unix(expires, 0)}
	now := c.now()
	if !now.Before(s.ExpiresAt) {
		return nil, ErrNoSession
	}
	if err := c.rdb.Expire(ctx, c.sessionKey(id), min(c.idle, s.ExpiresAt.Sub(now))).Err(); err != nil {
		return nil, fmt.Errorf("admins: console session: %w", err)
	}
	return s, nil
}

// Revoke ends one console session (sign-out).
func (c *Console) Revoke(ctx context.Context, s *ConsoleSession) error {
	pipe := c.rdb.Pipeline()
	pipe.Del(ctx, c.sessionKey(s.ID))
	pipe.SRem(ctx, c.adminKey(s.AdminID), s.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("admins: sign out: %w", err)
	}
	return nil
}

// RevokeAdmin ends every console session of an admin (deleted or
// disabled accounts).
func (c *Console) RevokeAdmin(ctx context.Context, adminID int64) error {
	ids, err := c.rdb.SMembers(ctx, c.adminKey(adminID)).Result()
	if err != nil {
		return fmt.Errorf("admins: revoke console sessions: %w", err)
	}
	pipe := c.rdb.Pipeline()
	for _, id := range ids {
		pipe.Del(ctx, c.sessionKey(id))
	}
	pipe.Del(ctx, c.adminKey(adminID))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("admins: revoke console sessions: %w", err)
	}
	return nil
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("admins: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func wellFormed(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// RevokeOthers ends every console session of an admin but keep (the one a
// password was just changed from); keep may be nil.
func (c *Console) RevokeOthers(ctx context.Context, adminID int64, keep *ConsoleSession) error {
	if keep == nil || keep.AdminID != adminID {
		return c.RevokeAdmin(ctx, adminID)
	}
	ids, err := c.rdb.SMembers(ctx, c.adminKey(adminID)).Result()
	if err != nil {
		return fmt.Errorf("admins: revoke console sessions: %w", err)
	}
	pipe := c.rdb.Pipeline()
	for _, id := range ids {
		if id != keep.ID {
			pipe.Del(ctx, c.sessionKey(id))
			pipe.SRem(ctx, c.adminKey(adminID), id)
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("admins: revoke console sessions: %w", err)
	}
	return nil
}
