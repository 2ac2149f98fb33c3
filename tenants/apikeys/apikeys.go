// Package apikeys keeps the API keys tenant backends call miniauth with.
// A key is shown once when it is made; only its SHA-256 is stored, with a
// short prefix so that people can tell their keys apart.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/memo"
)

// Errors of the API keys.
var (
	ErrInvalid  = errors.New("apikeys: invalid API key") // unknown, revoked or malformed
	ErrNotFound = errors.New("apikeys: not found")
)

// Prefix marks miniauth API keys, so that secret scanners and people can
// recognise one.
const Prefix = "mak_"

// keyLen is the prefix plus 43 base64url characters of 256 random bits.
const keyLen = len(Prefix) + 43

// shownPrefix is how much of a key is kept in clear to name it.
const shownPrefix = len(Prefix) + 8

// Key is an API key as stored: never the key itself.
type Key struct {
	ID         int64      `db:"id" json:"id"`
	TenantID   int64      `db:"tenant_id" json:"-"`
	Name       string     `db:"name" json:"name"`
	Prefix     string     `db:"prefix" json:"prefix"`
	CreatedBy  string     `db:"created_by" json:"created_by"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
}

const columns = `id, tenant_id, name, prefix, created_by, created_at, last_used_at, revoked_at`

// Store keeps API keys in MySQL. Every query is scoped by tenant.
type Store struct {
	db  *sqlx.DB
	now func() time.Time

	mu       sync.Mutex
	lastSeen map[int64]time.Time // when this node last wrote last_used_at

	cache *memo.Cache[*Key] // by key hash; nil: every call asks MySQL (see WithCache)
}

// Option completes a Store at construction.
type Option func(*Store)

// WithCache makes Authenticate answer from memory, for at most ttl, with
// revocations announced to every node through bus.
func WithCache(bus *memo.Bus, ttl time.Duration) Option {
	return func(s *Store) { s.cache = memo.NewCache[*Key](bus, "apikeys", ttl, 10_000) }
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db, now: time.Now, lastSeen: map[int64]time.Time{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Create makes a key for a tenant and returns it in clear, the only time
// it exists outside the caller.
func (s *Store) Create(ctx context.Context, tenantID int64, name string, actor audit.Actor) (string, *Key, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) {
		return "", nil, tenants.Invalid("name must be at most 64 characters")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("apikeys: crypto/rand failed: " + err.Error())
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	var id int64
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return "", nil, fmt.Errorf("apikeys: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tenantID, name, secret[:shownPrefix], sum[:], actor.Type+":"+actor.ID, s.now().UTC())
	if err != nil {
		return "", nil, fmt.Errorf("apikeys: create: %w", err)
	}
	id, _ = res.LastInsertId()
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "api_key.created", TargetType: "api_key", TargetID: strconv.FormatInt(id, 10),
		Details: map[string]any{"name": name, "prefix": secret[:shownPrefix]}}); err != nil {
		return "", nil, err
	}
	if err := tx.Commit(); err != nil {
		return "", nil, fmt.Errorf("apikeys: commit: %w", err)
	}
	k, err := s.ByID(ctx, tenantID, id)
	if err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// ByID loads a key of a tenant.
func (s *Store) ByID(ctx context.Context, tenantID, id int64) (*Key, error) {
	var k Key
	err := s.db.GetContext(ctx, &k, `SELECT `+columns+` FROM api_keys WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("apikeys: load: %w", err)
	}
	return &k, nil
}

// List returns a tenant's keys, revoked ones included, newest first.
func (s *Store) List(ctx context.Context, tenantID int64) ([]Key, error) {
	out := []Key{}
	if err := s.db.SelectContext(ctx, &out, `SELECT `+columns+` FROM api_keys WHERE tenant_id = ? ORDER BY id DESC`,
		tenantID); err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	return out, nil
}

// Revoke ends a key at once. Revoking a revoked key is not an error.
func (s *Store) Revoke(ctx context.Context, tenantID, id int64, actor audit.Actor) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apikeys: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL`,
		s.now().UTC(), id, tenantID)
	if err != nil {
		return fmt.Errorf("apikeys: revoke: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.ByID(ctx, tenantID, id); err != nil {
			return err
		}
		return nil
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "api_key.revoked", TargetType: "api_key", TargetID: strconv.FormatInt(id, 10)}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apikeys: commit: %w", err)
	}
	// Keys are cached by hash, which Revoke does not have: revocations are
	// rare, so every node drops all its keys.
	s.cache.InvalidateAll(ctx)
	return nil
}

// WellFormed reports whether key could be an API key at all, so that
// garbage is refused before it costs a query.
func WellFormed(key string) bool {
	if len(key) != keyLen || !strings.HasPrefix(key, Prefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(key[len(Prefix):])
	return err == nil
}

// Authenticate returns the live key of tenantID that secret is. A key of
// another tenant is ErrInvalid, exactly as an unknown one. The lookup is by
// the SHA-256 of the key, so the comparison never touches the key itself.
func (s *Store) Authenticate(ctx context.Context, tenantID int64, secret string) (*Key, error) {
	if !WellFormed(secret) {
		return nil, ErrInvalid
	}
	sum := sha256.Sum256([]byte(secret))
	load := func(ctx context.Context) (*Key, error) {
		var k Key
		err := s.db.GetContext(ctx, &k, `SELECT `+columns+` FROM api_keys WHERE key_hash = ?`, sum[:])
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrInvalid // not kept: unknown keys must not crowd out real ones
		}
		if err != nil {
			return nil, fmt.Errorf("apikeys: authenticate: %w", err)
		}
		return &k, nil
	}
	cached, err := s.cache.Get(ctx, string(sum[:]), load)
	if err != nil {
		return nil, err
	}
	if cached.TenantID != tenantID || cached.RevokedAt != nil {
		return nil, ErrInvalid
	}
	k := *cached // the cached one is shared
	s.touch(ctx, &k)
	return &k, nil
}

// touch records the key's use, at most once a minute per key and node:
// a busy backend must not turn every request into a write.
func (s *Store) touch(ctx context.Context, k *Key) {
	now := s.now().UTC()
	s.mu.Lock()
	last, seen := s.lastSeen[k.ID]
	if seen && now.Sub(last) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastSeen[k.ID] = now
	s.mu.Unlock()
	// Best effort: a failed write must not fail the caller's request.
	_, _ = s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, k.ID)
	k.LastUsedAt = &now
}
