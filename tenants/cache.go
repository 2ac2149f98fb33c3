package tenants

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache answers tenant lookups on the login path from memory. Entries live
// for a short TTL; a change made anywhere is published on Redis so that
// every node drops its copy at once instead of waiting for the TTL.
type Cache struct {
	reg      *Registry
	rdb      redis.UniversalClient
	channel  string
	ttl      time.Duration
	negTTL   time.Duration
	now      func() time.Time
	group    singleflight.Group
	mu       sync.RWMutex
	bySlug   map[string]cacheEntry
	log      *slog.Logger
	maxItems int
}

type cacheEntry struct {
	tenant  *Tenant // nil: known not to exist
	expires time.Time
}

// CacheConfig tunes a Cache.
type CacheConfig struct {
	TTL      time.Duration // default 30s
	NegTTL   time.Duration // how long "no such tenant" is remembered, default 5s
	Prefix   string        // Redis key prefix, e.g. "ma"
	MaxItems int           // default 100000
}

// NewCache wraps reg. rdb carries invalidations between nodes.
func NewCache(reg *Registry, rdb redis.UniversalClient, cfg CacheConfig, log *slog.Logger) *Cache {
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.NegTTL <= 0 {
		cfg.NegTTL = 5 * time.Second
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = 100000
	}
	return &Cache{reg: reg, rdb: rdb, channel: cfg.Prefix + ":tenants:changed",
		ttl: cfg.TTL, negTTL: cfg.NegTTL, now: time.Now, bySlug: make(map[string]cacheEntry),
		log: log, maxItems: cfg.MaxItems}
}

// Registry is the store behind the cache.
func (c *Cache) Registry() *Registry { return c.reg }

// BySlug returns the tenant named slug, from memory when it can.
func (c *Cache) BySlug(ctx context.Context, slug string) (*Tenant, error) {
	if !ValidSlug(slug) {
		return nil, ErrNotFound
	}
	c.mu.RLock()
	e, ok := c.bySlug[slug]
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		if e.tenant == nil {
			return nil, ErrNotFound
		}
		return e.tenant, nil
	}
	// One MySQL query per slug however many requests miss at once. The
	// query runs detached from the first caller's context so that its
	// cancellation does not fail everyone else waiting on it.
	v, err, _ := c.group.Do(slug, func() (any, error) {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		t, err := c.reg.BySlug(qctx, slug)
		switch {
		case errors.Is(err, ErrNotFound):
			c.store(slug, nil, c.negTTL)
		case err == nil:
			c.store(slug, t, c.ttl)
		}
		return t, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tenant), nil
}

func (c *Cache) store(slug string, t *Tenant, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bySlug) >= c.maxItems {
		c.bySlug = make(map[string]cacheEntry) // crude, but bounded
	}
	c.bySlug[slug] = cacheEntry{tenant: t, expires: c.now().Add(ttl)}
}

// Forget drops slug from this node's memory.
func (c *Cache) Forget(slug string) {
	c.mu.Lock()
	delete(c.bySlug, slug)
	c.mu.Unlock()
}

// ForgetAll empties this node's memory.
func (c *Cache) ForgetAll() {
	c.mu.Lock()
	c.bySlug = make(map[string]cacheEntry)
	c.mu.Unlock()
}

// Invalidate drops slug here and tells every other node to drop it too.
// Call it after any change to a tenant or its apps.
func (c *Cache) Invalidate(ctx context.Context, slug string) {
	c.Forget(slug)
	if err := c.rdb.Publish(ctx, c.channel, slug).Err(); err != nil {
		// Other nodes still expire the entry within the TTL.
		c.log.Warn("tenant cache invalidation not published", "tenant", slug, "err", err)
	}
}

// Listen applies invalidations published by other nodes until ctx ends,
// resubscribing after Redis outages. Run it in its own goroutine.
func (c *Cache) Listen(ctx context.Context) {
	for ctx.Err() == nil {
		sub := c.rdb.Subscribe(ctx, c.channel)
		for msg := range sub.ChannelWithSubscriptions() {
			switch m := msg.(type) {
			case *redis.Message:
				c.Forget(m.Payload)
			case *redis.Subscription:
				// (Re)subscribed: invalidations sent while the connection
				// was down are lost, so forget everything once.
				c.ForgetAll()
			}
		}
		_ = sub.Close()
		// go-redis reconnects a PubSub by itself; a closed channel means ctx
		// ended or the client closed. Pause before trying again.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
