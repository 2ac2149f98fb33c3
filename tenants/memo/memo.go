// Package memo keeps read-through copies of small, hot records (users,
// API keys) in each node's memory, so that the request path does not ask
// MySQL for them on every request, and drops a copy on every node as soon
// as the record changes anywhere.
//
// A change is announced on one Redis pub/sub channel after its transaction
// commits. A node whose subscription was interrupted forgets everything
// when it subscribes again, since it may have missed announcements; an
// announcement that could not be published is retried until it is. Each
// entry also has a TTL, the bound for the one case nothing else covers: a
// node that dies between its commit and its announcement.
package memo

import (
	"context"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// all is the key of an announcement that drops a whole cache.
const all = "*"

// maxUnsent bounds the announcements kept for retry; past it, whole
// caches are dropped instead.
const maxUnsent = 10000

// Bus carries the announcements of every cache of a node.
type Bus struct {
	rdb     redis.UniversalClient
	channel string
	log     *slog.Logger

	mu     sync.RWMutex
	caches map[string]forgetter

	unsentMu sync.Mutex
	unsent   map[string]struct{}
	kick     chan struct{}

	// listening: subscribed, so told of changes. A cache keeps nothing
	// while its bus is not, since it could not be told to drop it.
	listening atomic.Bool
}

type forgetter interface {
	forget(key string)
	forgetAll()
}

// NewBus returns a Bus over rdb; prefix namespaces its channel (e.g. "ma").
func NewBus(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Bus {
	return &Bus{rdb: rdb, channel: prefix + ":memo:changed", log: log,
		caches: make(map[string]forgetter), unsent: make(map[string]struct{}), kick: make(chan struct{}, 1)}
}

func (b *Bus) register(name string, c forgetter) {
	if strings.ContainsRune(name, ' ') {
		panic("memo: cache name with a space: " + name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.caches[name]; dup {
		panic("memo: two caches named " + name)
	}
	b.caches[name] = c
}

// announce tells every node, this one included, that key of cache name
// changed.
func (b *Bus) announce(ctx context.Context, name, key string) {
	b.apply(name, key)
	msg := name + " " + key
	if err := b.rdb.Publish(context.WithoutCancel(ctx), b.channel, msg).Err(); err != nil {
		b.log.Warn("cache invalidation not published; retrying", "cache", name, "err", err)
		b.keep(name, msg)
	}
}

// keep remembers an announcement to publish again.
func (b *Bus) keep(name, msg string) {
	b.unsentMu.Lock()
	if len(b.unsent) >= maxUnsent {
		b.unsent = map[string]struct{}{name + " " + all: {}}
	} else {
		b.unsent[msg] = struct{}{}
	}
	b.unsentMu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// apply drops what an announcement names from this node's memory.
func (b *Bus) apply(name, key string) {
	b.mu.RLock()
	c := b.caches[name]
	b.mu.RUnlock()
	switch {
	case c == nil:
	case key == all:
		c.forgetAll()
	default:
		c.forget(key)
	}
}

func (b *Bus) forgetAll() {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, c := range b.caches {
		c.forgetAll()
	}
}

// Listen applies the announcements of other nodes, and publishes again
// those this node could not, until ctx ends. Run it in its own goroutine;
// until it has subscribed, caches do not keep anything (see Cache.Get).
func (b *Bus) Listen(ctx context.Context) {
	go b.resend(ctx)
	for ctx.Err() == nil {
		sub := b.rdb.Subscribe(ctx, b.channel)
		for msg := range sub.ChannelWithSubscriptions() {
			switch m := msg.(type) {
			case *redis.Message:
				if name, key, ok := strings.Cut(m.Payload, " "); ok {
					b.apply(name, key)
				}
			case *redis.Subscription:
				// (Re)subscribed: announcements sent while the connection
				// was down are lost, so forget everything once.
				b.forgetAll()
				b.listening.Store(true)
				b.log.Info("cache invalidations subscribed; caches emptied", "channel", b.channel)
			}
		}
		b.listening.Store(false)
		b.forgetAll()
		_ = sub.Close()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Listening reports whether the bus is subscribed: until it is, caches
// load every time and keep nothing.
func (b *Bus) Listening() bool { return b.listening.Load() }

// resend publishes the kept announcements, pausing between failed tries.
func (b *Bus) resend(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		for {
			b.unsentMu.Lock()
			msgs := make([]string, 0, len(b.unsent))
			for m := range b.unsent {
				msgs = append(msgs, m)
			}
			b.unsent = make(map[string]struct{})
			b.unsentMu.Unlock()
			var failed []string
			for i, m := range msgs {
				if err := b.rdb.Publish(ctx, b.channel, m).Err(); err != nil {
					failed = msgs[i:]
					break
				}
			}
			if len(failed) == 0 {
				break
			}
			for _, m := range failed {
				name, _, _ := strings.Cut(m, " ")
				b.keep(name, m)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// Cache is one kind of record, by string key. A nil *Cache keeps nothing:
// Get always loads, and the rest do nothing, so a store can hold one
// whether or not caching is on.
type Cache[V any] struct {
	name  string
	bus   *Bus
	ttl   time.Duration
	max   int
	now   func() time.Time
	base  time.Time // entries' expiries count from here
	group singleflight.Group
	seed  maphash.Seed

	mu sync.RWMutex
	m  map[string]entry[V]
	// gens counts the announcements per stripe of keys, so that a load
	// that raced with one does not keep what it read before the change.
	gens [256]atomic.Uint64
}

type entry[V any] struct {
	v       V
	expires time.Duration // since the cache's base: a third of a time.Time, per entry
}

// NewCache returns a cache named name (unique on the bus) whose entries
// live at most ttl, holding at most max of them.
func NewCache[V any](bus *Bus, name string, ttl time.Duration, max int) *Cache[V] {
	c := &Cache[V]{name: name, bus: bus, ttl: ttl, max: max, now: time.Now, base: time.Now(),
		seed: maphash.MakeSeed(), m: make(map[string]entry[V])}
	bus.register(name, c)
	return c
}

func (c *Cache[V]) gen(key string) *atomic.Uint64 {
	return &c.gens[maphash.String(c.seed, key)%uint64(len(c.gens))]
}

// Get returns the value of key from memory, or loads it (once, however
// many callers miss at the same time) and keeps it. Errors are not kept.
func (c *Cache[V]) Get(ctx context.Context, key string, load func(ctx context.Context) (V, error)) (V, error) {
	if c == nil {
		return load(ctx)
	}
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && c.age() < e.expires {
		return e.v, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		g := c.gen(key).Load()
		// Detached from the first caller, whose cancellation must not fail
		// the others waiting on the same load.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		if c.bus.listening.Load() && c.gen(key).Load() == g {
			c.keep(key, v)
		}
		return v, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return v.(V), nil
}

// Peek returns the value of key if this node holds it, without loading.
func (c *Cache[V]) Peek(key string) (v V, ok bool) {
	if c == nil {
		return v, false
	}
	c.mu.RLock()
	e, found := c.m[key]
	c.mu.RUnlock()
	if !found || c.age() >= e.expires {
		return v, false
	}
	return e.v, true
}

func (c *Cache[V]) keep(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Make room by dropping about a tenth, in map order (random).
		n := c.max / 10
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[key] = entry[V]{v: v, expires: c.age() + c.ttl}
}

// age is the time since the cache's base, by its clock.
func (c *Cache[V]) age() time.Duration { return c.now().Sub(c.base) }

// Invalidate drops key on every node. Call it after the change to the
// record has committed.
func (c *Cache[V]) Invalidate(ctx context.Context, key string) {
	if c != nil {
		c.bus.announce(ctx, c.name, key)
	}
}

// Forget drops key on this node only: for a change other nodes may go on
// ignoring until their copy expires.
func (c *Cache[V]) Forget(key string) {
	if c != nil {
		c.forget(key)
	}
}

// InvalidateAll drops every entry of the cache on every node.
func (c *Cache[V]) InvalidateAll(ctx context.Context) {
	if c != nil {
		c.bus.announce(ctx, c.name, all)
	}
}

// Len is the number of entries this node holds.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func (c *Cache[V]) forget(key string) {
	c.gen(key).Add(1)
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

func (c *Cache[V]) forgetAll() {
	for i := range c.gens {
		c.gens[i].Add(1)
	}
	c.mu.Lock()
	c.m = make(map[string]entry[V])
	c.mu.Unlock()
}
