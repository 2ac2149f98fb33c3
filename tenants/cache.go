package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/memo"
)

// The request path looks every tenant up by slug. With a cache
// (WithCache), Lookup answers from the node's memory; every change the
// Registry commits drops the copy on every node (package memo) before the
// call returns, the CLI's changes as well as the API's.

// CacheConfig tunes the tenant cache.
type CacheConfig struct {
	TTL      time.Duration // how long a copy may live at most; default 30s
	NegTTL   time.Duration // how long "no such tenant" is remembered; default 5s
	MaxItems int           // copies kept per node; default 100,000
}

// Option completes a Registry at construction.
type Option func(*Registry)

// WithCache makes Lookup answer from memory, with every change announced
// to every node through bus.
func WithCache(bus *memo.Bus, cfg CacheConfig) Option {
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.NegTTL <= 0 {
		cfg.NegTTL = 5 * time.Second
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = 100_000
	}
	return func(r *Registry) {
		r.bySlug = memo.NewCache[*Tenant](bus, "tenants", cfg.TTL, cfg.MaxItems)
		r.missing = memo.NewCache[struct{}](bus, "tenants-missing", cfg.NegTTL, cfg.MaxItems)
	}
}

// Lookup returns the tenant named slug, like BySlug, but from memory
// when it can: the request path's lookup.
func (r *Registry) Lookup(ctx context.Context, slug string) (*Tenant, error) {
	if !ValidSlug(slug) {
		return nil, ErrNotFound
	}
	if t, ok := r.bySlug.Peek(slug); ok { // without the closure below, which costs an allocation
		return t, nil
	}
	if _, ok := r.missing.Peek(slug); ok {
		return nil, ErrNotFound
	}
	t, err := r.bySlug.Get(ctx, slug, func(ctx context.Context) (*Tenant, error) { return r.BySlug(ctx, slug) })
	if errors.Is(err, ErrNotFound) {
		_, _ = r.missing.Get(ctx, slug, func(context.Context) (struct{}, error) { return struct{}{}, nil })
	}
	return t, err
}

// Invalidate drops the tenant named slug from every node's memory. The
// Registry's own changes do it; call it after changing a tenant by other
// means.
func (r *Registry) Invalidate(ctx context.Context, slug string) {
	r.bySlug.Invalidate(ctx, slug)
	r.missing.Invalidate(ctx, slug)
}

// change runs fn in a transaction that changes tenant id and, once it has
// committed, drops the tenant from every node's memory.
func (r *Registry) change(ctx context.Context, id int64, fn func(tx *sqlx.Tx) error) error {
	var slug string
	err := r.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM tenants WHERE id = ?`, id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tenants: load: %w", err)
		}
		return fn(tx)
	})
	if err == nil && slug != "" {
		r.Invalidate(ctx, slug)
	}
	return err
}
