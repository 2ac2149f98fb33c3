// Package tokens shares each app's WeChat access_token between every
// miniauth node through Redis (wechat-api.md §2).
//
// Tokens come from cgi-bin/stable_token in normal mode. A node that finds
// the cached token close to expiry takes a short Redis lock and renews it;
// the others keep using the current token meanwhile, or wait for the new
// one when the current has already expired. Within a node, concurrent
// callers share one renewal (singleflight). A call WeChat refuses with
// 40001 or 42001 renews the token once and is retried once (Do).
package tokens

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"miniauth/tenants/wechat"
)

// Timings. RenewBefore matches WeChat's: a stable token is renewed in its
// last 5 minutes, and any token handed out is valid for at least 300 s.
const (
	RenewBefore = 5 * time.Minute
	lockTTL     = 10 * time.Second
	pollEvery   = 25 * time.Millisecond
)

// Target is an app whose token is wanted. Secret is called only when the
// token must be fetched, so that the AppSecret is unsealed rarely.
type Target struct {
	TenantID int64
	AppID    string
	Secret   func() (string, error)
}

// Token is an access_token and when it expires. Value is a secret.
type Token struct {
	Value     string
	ExpiresAt time.Time
	renewAt   time.Time
}

// Cache is the shared token store. It is safe for concurrent use.
type Cache struct {
	rdb    redis.UniversalClient
	prefix string
	wx     *wechat.Client
	now    func() time.Time
	group  singleflight.Group
}

// New returns a Cache; prefix namespaces the Redis keys (e.g. "ma").
func New(rdb redis.UniversalClient, prefix string, wx *wechat.Client) *Cache {
	return &Cache{rdb: rdb, prefix: prefix, wx: wx, now: time.Now}
}

func (c *Cache) key(t Target) string {
	return c.prefix + ":t:" + strconv.FormatInt(t.TenantID, 10) + ":wx:token:" + t.AppID
}

// Get returns the app's current access_token, renewing it when due.
func (c *Cache) Get(ctx context.Context, t Target) (Token, error) {
	tok, err := c.read(ctx, t)
	if err != nil {
		return Token{}, err
	}
	if tok.Value != "" && c.now().Before(tok.renewAt) {
		return tok, nil
	}
	return c.renew(ctx, t, "")
}

// Do calls fn with the app's token; when WeChat answers 40001 (invalid or
// not latest) or 42001 (expired), it renews the token once and calls fn
// once more.
func (c *Cache) Do(ctx context.Context, t Target, fn func(token string) error) error {
	tok, err := c.Get(ctx, t)
	if err != nil {
		return err
	}
	err = fn(tok.Value)
	if !wechat.IsCode(err, 40001, 42001) {
		return err
	}
	fresh, rerr := c.renew(ctx, t, tok.Value)
	if rerr != nil {
		return rerr
	}
	return fn(fresh.Value)
}

// Renew returns a token other than stale, which WeChat refused.
func (c *Cache) Renew(ctx context.Context, t Target, stale string) (Token, error) {
	return c.renew(ctx, t, stale)
}

// renew returns a token other than stale, fetching one from WeChat if no
// other caller (on this node or another) has done so.
func (c *Cache) renew(ctx context.Context, t Target, stale string) (Token, error) {
	v, err, _ := c.group.Do(c.key(t)+"|"+stale, func() (any, error) {
		// Detached: one caller giving up must not fail the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		return c.renewShared(rctx, t, stale)
	})
	if err != nil {
		return Token{}, err
	}
	return v.(Token), nil
}

func (c *Cache) renewShared(ctx context.Context, t Target, stale string) (Token, error) {
	lock := c.key(t) + ":lock"
	for {
		tok, err := c.read(ctx, t)
		if err != nil {
			return Token{}, err
		}
		now := c.now()
		if tok.Value != "" && tok.Value != stale && now.Before(tok.renewAt) {
			return tok, nil // renewed meanwhile
		}
		owner := randomID()
		ok, err := c.rdb.SetNX(ctx, lock, owner, lockTTL).Result()
		if err != nil {
			return Token{}, fmt.Errorf("tokens: lock: %w", err)
		}
		if ok {
			tok, err := c.fetch(ctx, t, stale)
			_ = unlock.Run(context.WithoutCancel(ctx), c.rdb, []string{lock}, owner).Err()
			return tok, err
		}
		// Another node renews. Its current token is still good unless it
		// expired or WeChat refused it.
		if tok.Value != "" && tok.Value != stale && now.Before(tok.ExpiresAt) {
			return tok, nil
		}
		select {
		case <-ctx.Done():
			return Token{}, fmt.Errorf("tokens: waiting for another node's renewal: %w", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// fetch asks WeChat for the token under the lock and stores it.
func (c *Cache) fetch(ctx context.Context, t Target, stale string) (Token, error) {
	if tok, err := c.read(ctx, t); err != nil {
		return Token{}, err
	} else if tok.Value != "" && tok.Value != stale && c.now().Before(tok.renewAt) {
		return tok, nil // renewed by the previous lock holder
	}
	secret, err := t.Secret()
	if err != nil {
		return Token{}, err
	}
	at, err := c.wx.StableToken(ctx, t.AppID, secret, false)
	if err == nil && stale != "" && at.Token == stale {
		// WeChat refused this very token but still hands it out in normal
		// mode: only a forced refresh replaces it.
		at, err = c.wx.StableToken(ctx, t.AppID, secret, true)
	}
	if err != nil {
		return Token{}, err
	}
	now := c.now()
	life := time.Duration(at.ExpiresIn) * time.Second
	tok := Token{Value: at.Token, ExpiresAt: now.Add(life), renewAt: now.Add(life - RenewBefore)}
	if life <= 2*RenewBefore {
		tok.renewAt = now.Add(life / 2) // a token handed out late in its life
	}
	val := strconv.FormatInt(tok.renewAt.UnixMilli(), 10) + "|" + strconv.FormatInt(tok.ExpiresAt.UnixMilli(), 10) + "|" + tok.Value
	if err := c.rdb.Set(ctx, c.key(t), val, life).Err(); err != nil {
		return Token{}, fmt.Errorf("tokens: store: %w", err)
	}
	return tok, nil
}

// read returns the cached token, or a zero Token.
func (c *Cache) read(ctx context.Context, t Target) (Token, error) {
	v, err := c.rdb.Get(ctx, c.key(t)).Result()
	if errors.Is(err, redis.Nil) {
		return Token{}, nil
	}
	if err != nil {
		return Token{}, fmt.Errorf("tokens: read: %w", err)
	}
	f := strings.SplitN(v, "|", 3)
	if len(f) != 3 {
		return Token{}, nil
	}
	renew, err1 := strconv.ParseInt(f[0], 10, 64)
	exp, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || f[2] == "" {
		return Token{}, nil
	}
	return Token{Value: f[2], ExpiresAt: time.UnixMilli(exp), renewAt: time.UnixMilli(renew)}, nil
}

// unlock deletes the lock only if this node still holds it.
var unlock = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
