// Package tokens shares each app's WeChat access_token between every
// miniauth node through Redis (docs/wechat.md, access tokens).
//
// Tokens come from cgi-bin/stable_token in normal mode. A node that finds
// the cached token close to expiry takes a short Redis lock and renews it;
// the others keep using the current token meanwhile, or wait for the new
// one when the current has already expired. Within a node, concurrent
// callers share one renewal (singleflight). A call WeChat refuses with
// 40001, 40014 or 42001 renews the token once and is retried once (Do).
//
// A token WeChat refused but still hands out in normal mode is replaced by
// a forced refresh, which kills the token for every holder and which
// WeChat allows 20 times a day, 30 s apart: all nodes together force at
// most once per 30 s per app and ForcePerDay times a day (force.go).
// Tokens are sealed in Redis under the tenant keyring.
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

	"miniauth/tenants/keyring"
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
	// Forced: getting it took a forced refresh, which the caller should
	// audit.
	Forced  bool
	renewAt time.Time
}

// Config configures a Cache. Zero fields take the defaults noted.
type Config struct {
	Keys        *keyring.Ring    // seals tokens in Redis; required
	ForcePerDay int              // forced refreshes per app per day, all nodes together; 20
	Now         func() time.Time // time.Now
}

// DefaultForcePerDay is WeChat's own limit of forced refreshes.
const DefaultForcePerDay = 20

// Cache is the shared token store. It is safe for concurrent use.
type Cache struct {
	rdb         redis.UniversalClient
	prefix      string
	wx          *wechat.Client
	keys        *keyring.Ring
	forcePerDay int
	now         func() time.Time
	group       singleflight.Group
}

// New returns a Cache; prefix namespaces the Redis keys (e.g. "ma").
func New(rdb redis.UniversalClient, prefix string, wx *wechat.Client, cfg Config) *Cache {
	c := &Cache{rdb: rdb, prefix: prefix, wx: wx, keys: cfg.Keys, forcePerDay: cfg.ForcePerDay, now: cfg.Now}
	if c.forcePerDay <= 0 {
		c.forcePerDay = DefaultForcePerDay
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
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
// not latest), 40014 (invalid) or 42001 (expired), it renews the token
// once and calls fn once more.
func (c *Cache) Do(ctx context.Context, t Target, fn func(token string) error) error {
	tok, err := c.Get(ctx, t)
	if err != nil {
		return err
	}
	err = fn(tok.Value)
	if !wechat.IsStaleToken(err) {
		return wechat.ForApp(t.AppID, err)
	}
	fresh, rerr := c.renew(ctx, t, tok.Value)
	if rerr != nil {
		return rerr
	}
	return wechat.ForApp(t.AppID, fn(fresh.Value))
}

// Renew returns a token other than stale, which WeChat refused.
func (c *Cache) Renew(ctx context.Context, t Target, stale string) (Token, error) {
	return c.renew(ctx, t, stale)
}

// renew returns a token other than stale, fetching one from WeChat if no
// other caller (on this node or another) has done so.
func (c *Cache) renew(ctx context.Context, t Target, stale string) (Token, error) {
	ch := c.group.DoChan(c.key(t)+"|"+stale, func() (any, error) {
		// Detached: one caller giving up must not fail the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		return c.renewShared(rctx, t, stale)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Token{}, r.Err
		}
		return r.Val.(Token), nil
	case <-ctx.Done():
		// The caller's deadline (a login's budget) comes first; the renewal
		// goes on for the others.
		return Token{}, fmt.Errorf("tokens: renewal: %w: %w", wechat.ErrUnavailable, ctx.Err())
	}
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
	forced := false
	if err == nil && stale != "" && at.Token == stale {
		// WeChat refused this very token but still hands it out in normal
		// mode: only a forced refresh replaces it.
		if err := c.claimForce(ctx, t); err != nil {
			return Token{}, err
		}
		at, err = c.wx.StableToken(ctx, t.AppID, secret, true)
		forced = true
	}
	if err != nil {
		return Token{}, err
	}
	now := c.now()
	life := time.Duration(at.ExpiresIn) * time.Second
	tok := Token{Value: at.Token, ExpiresAt: now.Add(life), renewAt: now.Add(life - RenewBefore), Forced: forced}
	if life <= 2*RenewBefore {
		tok.renewAt = now.Add(life / 2) // a token handed out late in its life
	}
	val := strconv.FormatInt(tok.renewAt.UnixMilli(), 10) + "|" + strconv.FormatInt(tok.ExpiresAt.UnixMilli(), 10) + "|" + tok.Value
	sealed, keyID := c.keys.Seal([]byte(val), tokenAD(t))
	if err := c.rdb.Set(ctx, c.key(t), sealedPrefix+keyID+"|"+string(sealed), life).Err(); err != nil {
		return Token{}, fmt.Errorf("tokens: store: %w", err)
	}
	return tok, nil
}

// sealedPrefix starts a sealed record: "s1|<key id>|<sealed bytes>", the
// bytes sealing "<renew at ms>|<expires at ms>|<token>".
const sealedPrefix = "s1|"

// tokenAD binds a sealed token to its tenant and app, so that a record
// copied under another app's key does not open.
func tokenAD(t Target) string {
	return "wechat-access-token:" + strconv.FormatInt(t.TenantID, 10) + ":" + t.AppID
}

// read returns the cached token, or a zero Token. A record that does not
// open (written unsealed by an older version, or under a retired key) is
// a miss: the token is fetched again.
func (c *Cache) read(ctx context.Context, t Target) (Token, error) {
	v, err := c.rdb.Get(ctx, c.key(t)).Result()
	if errors.Is(err, redis.Nil) {
		return Token{}, nil
	}
	if err != nil {
		return Token{}, fmt.Errorf("tokens: read: %w", err)
	}
	rec, ok := strings.CutPrefix(v, sealedPrefix)
	keyID, sealed, found := strings.Cut(rec, "|")
	if !ok || !found {
		return Token{}, nil
	}
	plain, err := c.keys.Open([]byte(sealed), keyID, tokenAD(t))
	if err != nil {
		return Token{}, nil
	}
	f := strings.SplitN(string(plain), "|", 3)
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
