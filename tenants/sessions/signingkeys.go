package sessions

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/sync/singleflight"

	"miniauth/tenants"
	"miniauth/tenants/keyring"
	"miniauth/tenants/memo"
)

// Signing algorithms a tenant's key may use.
const (
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// States of a signing key.
const (
	KeyNext    = "next"    // published in the JWKS, not signing yet
	KeyCurrent = "current" // signing; one per tenant
	KeyRetired = "retired" // published until RetireAfter, no longer signing
)

// Errors of the signing keys.
var (
	ErrRotationTooSoon = errors.New("sessions: the next signing key has not been published long enough to sign")
	ErrBadAlg          = tenants.Invalid("alg must be ES256 or EdDSA")
)

// KeyPolicy says how a tenant's JWT signing keys live.
type KeyPolicy struct {
	Alg         string        // algorithm of new keys: ES256 (default) or EdDSA
	TokenTTL    time.Duration // the longest lifetime of a token signed (default 15m)
	PublishLead time.Duration // the next key is published this long before it may sign (default 15m)
	RotateEvery time.Duration // scheduled rotation once the current key is this old (default 30 days)
	CacheTTL    time.Duration // how long a node keeps a tenant's keys in memory (default 30s)
}

func (p *KeyPolicy) defaults() {
	if p.Alg == "" {
		p.Alg = AlgES256
	}
	if p.TokenTTL <= 0 {
		p.TokenTTL = 15 * time.Minute
	}
	if p.PublishLead <= 0 {
		p.PublishLead = 15 * time.Minute
	}
	if p.RotateEvery <= 0 {
		p.RotateEvery = 30 * 24 * time.Hour
	}
	if p.CacheTTL <= 0 {
		p.CacheTTL = 30 * time.Second
	}
}

// retireGrace is how long a retired key stays published: until every
// token it signed has expired, counting other nodes that may still sign
// with it from their cache, and clock skew.
func (p KeyPolicy) retireGrace() time.Duration { return p.TokenTTL + p.CacheTTL + time.Minute }

// SigningKey is one JWT key of a tenant. The private half stays sealed
// until a signer is needed.
type SigningKey struct {
	ID          int64      `db:"id"`
	TenantID    int64      `db:"tenant_id"`
	KID         string     `db:"kid"`
	Alg         string     `db:"alg"`
	State       string     `db:"state"`
	PublicDER   []byte     `db:"public_key"`
	CreatedAt   time.Time  `db:"created_at"`
	ActivatedAt *time.Time `db:"activated_at"`
	RetiredAt   *time.Time `db:"retired_at"`
	RetireAfter *time.Time `db:"retire_after"`

	privateSealed []byte
	privateKeyID  string
}

const signingKeyColumns = `id, tenant_id, kid, alg, state, public_key, created_at, activated_at, retired_at, retire_after`

// Public parses the public key: *ecdsa.PublicKey or ed25519.PublicKey.
func (k *SigningKey) Public() (crypto.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(k.PublicDER)
	if err != nil {
		return nil, fmt.Errorf("sessions: public key %s: %w", k.KID, err)
	}
	return pub, nil
}

// SigningKeys keeps every tenant's JWT keys in MySQL, private halves
// sealed with the keyring, and caches them briefly in memory.
type SigningKeys struct {
	db     *sqlx.DB
	keys   *keyring.Ring
	policy KeyPolicy
	now    func() time.Time

	mu    sync.Mutex
	cache map[int64]*keySet
	loads singleflight.Group // one MySQL read per tenant when the cache runs out, however busy
	hook  *memo.Hook         // nil: other nodes learn of key changes after CacheTTL
}

// keySet is a tenant's keys as one node last read them.
type keySet struct {
	loaded    time.Time
	published []SigningKey // next, current and not yet expired retired keys
	signer    *signer      // the current key, opened
}

type signer struct {
	key  SigningKey
	priv crypto.Signer
}

// NewSigningKeys returns the key store. now may be nil (time.Now).
func NewSigningKeys(db *sqlx.DB, keys *keyring.Ring, p KeyPolicy, now func() time.Time) *SigningKeys {
	p.defaults()
	if now == nil {
		now = time.Now
	}
	return &SigningKeys{db: db, keys: keys, policy: p, now: now, cache: map[int64]*keySet{}}
}

// WithBus makes every key change drop the tenant's keys on every node at
// once, not after CacheTTL: an emergency rotation must stop a leaked key
// everywhere. Call it before the store is used.
func (s *SigningKeys) WithBus(bus *memo.Bus) *SigningKeys {
	s.hook = bus.Hook("signing_keys", func(key string) {
		if key == "" {
			s.mu.Lock()
			s.cache = map[int64]*keySet{}
			s.mu.Unlock()
			return
		}
		if id, err := strconv.ParseInt(key, 10, 64); err == nil {
			s.forget(id)
		}
	})
	return s
}

// Policy returns the policy in force, defaults filled in.
func (s *SigningKeys) Policy() KeyPolicy { return s.policy }

func privateAD(tenantID int64, kid string) string {
	return "signing-key:" + strconv.FormatInt(tenantID, 10) + ":" + kid
}

// Published returns the keys a verifier of the tenant's tokens needs: the
// next key, the current one, and retired ones whose tokens may still live.
// A tenant without keys gets its first ones.
func (s *SigningKeys) Published(ctx context.Context, tenantID int64) ([]SigningKey, error) {
	ks, err := s.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return ks.published, nil
}

func (s *SigningKeys) current(ctx context.Context, tenantID int64) (*signer, error) {
	ks, err := s.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return ks.signer, nil
}

func (s *SigningKeys) load(ctx context.Context, tenantID int64) (*keySet, error) {
	now := s.now()
	s.mu.Lock()
	ks := s.cache[tenantID]
	s.mu.Unlock()
	if ks != nil && now.Sub(ks.loaded) < s.policy.CacheTTL && now.Sub(ks.loaded) >= 0 {
		return ks, nil
	}
	v, err, _ := s.loads.Do(strconv.FormatInt(tenantID, 10), func() (any, error) {
		// Shared by every waiter: one caller giving up must not fail the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return s.reload(rctx, tenantID)
	})
	if err != nil {
		return nil, err
	}
	return v.(*keySet), nil
}

func (s *SigningKeys) reload(ctx context.Context, tenantID int64) (*keySet, error) {
	ks, err := s.read(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if ks.signer == nil {
		if err := s.bootstrap(ctx, tenantID); err != nil {
			return nil, err
		}
		if ks, err = s.read(ctx, tenantID); err != nil {
			return nil, err
		}
		if ks.signer == nil {
			return nil, errors.New("sessions: tenant has no current signing key")
		}
	}
	s.mu.Lock()
	s.cache[tenantID] = ks
	s.mu.Unlock()
	return ks, nil
}

// forget drops a tenant's keys from this node's cache.
func (s *SigningKeys) forget(tenantID int64) {
	s.mu.Lock()
	delete(s.cache, tenantID)
	s.mu.Unlock()
}

type keyRow struct {
	SigningKey
	PrivateSealed []byte `db:"private_sealed"`
	PrivateKeyID  string `db:"private_key_id"`
}

func (s *SigningKeys) read(ctx context.Context, tenantID int64) (*keySet, error) {
	var rows []keyRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+signingKeyColumns+`, private_sealed, private_key_id
		FROM signing_keys WHERE tenant_id = ? AND (state <> 'retired' OR retire_after > ?) ORDER BY id`,
		tenantID, s.now())
	if err != nil {
		return nil, fmt.Errorf("sessions: load signing keys: %w", err)
	}
	ks := &keySet{loaded: s.now()}
	for _, r := range rows {
		k := r.SigningKey
		k.privateSealed, k.privateKeyID = r.PrivateSealed, r.PrivateKeyID
		ks.published = append(ks.published, k)
		if k.State == KeyCurrent {
			priv, err := s.open(&k)
			if err != nil {
				return nil, err
			}
			ks.signer = &signer{key: k, priv: priv}
		}
	}
	return ks, nil
}

func (s *SigningKeys) open(k *SigningKey) (crypto.Signer, error) {
	der, err := s.keys.Open(k.privateSealed, k.privateKeyID, privateAD(k.TenantID, k.KID))
	if err != nil {
		return nil, fmt.Errorf("sessions: signing key %s: %w", k.KID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("sessions: signing key %s: %w", k.KID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("sessions: signing key %s has an unexpected type", k.KID)
	}
	return signer, nil
}

// bootstrap gives a tenant its first current key and the next one, once:
// concurrent callers wait on the tenant's row and find the keys made.
func (s *SigningKeys) bootstrap(ctx context.Context, tenantID int64) error {
	return s.inTenantTx(ctx, tenantID, func(tx *sqlx.Tx, keys []SigningKey) error {
		for _, k := range keys {
			if k.State == KeyCurrent {
				return nil
			}
		}
		now := s.now()
		if _, err := s.insert(ctx, tx, tenantID, s.policy.Alg, KeyCurrent, now); err != nil {
			return err
		}
		if !hasState(keys, KeyNext) {
			if _, err := s.insert(ctx, tx, tenantID, s.policy.Alg, KeyNext, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func hasState(keys []SigningKey, state string) bool {
	for _, k := range keys {
		if k.State == state {
			return true
		}
	}
	return false
}

// inTenantTx runs f in a transaction that holds the tenant's row, so that
// key changes of one tenant happen one at a time across every node. f gets
// the tenant's keys as they are now.
func (s *SigningKeys) inTenantTx(ctx context.Context, tenantID int64, f func(*sqlx.Tx, []SigningKey) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sessions: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM tenants WHERE id = ? FOR UPDATE`, tenantID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return tenants.ErrNotFound
		}
		return fmt.Errorf("sessions: lock tenant: %w", err)
	}
	var keys []SigningKey
	if err := tx.SelectContext(ctx, &keys, `SELECT `+signingKeyColumns+`
		FROM signing_keys WHERE tenant_id = ? AND state <> 'retired' ORDER BY id`, tenantID); err != nil {
		return fmt.Errorf("sessions: load signing keys: %w", err)
	}
	if err := f(tx, keys); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sessions: commit: %w", err)
	}
	s.forget(tenantID)
	s.hook.Announce(ctx, strconv.FormatInt(tenantID, 10))
	return nil
}

// insert makes a new key pair and stores it with its private half sealed.
func (s *SigningKeys) insert(ctx context.Context, tx *sqlx.Tx, tenantID int64, alg, state string, now time.Time) (string, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "", ErrBadAlg
	}
	if err != nil {
		return "", fmt.Errorf("sessions: generate key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("sessions: encode key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", fmt.Errorf("sessions: encode key: %w", err)
	}
	kid := newKID()
	sealed, keyID := s.keys.Seal(privDER, privateAD(tenantID, kid))
	var activated any
	if state == KeyCurrent {
		activated = now
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO signing_keys
		(tenant_id, kid, alg, state, public_key, private_sealed, private_key_id, created_at, activated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenantID, kid, alg, state, pubDER, sealed, keyID, now, activated); err != nil {
		return "", fmt.Errorf("sessions: insert signing key: %w", err)
	}
	return kid, nil
}

// newKID names a key: 128 random bits, base64url.
func newKID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sessions: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
