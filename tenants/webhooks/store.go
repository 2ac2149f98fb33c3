package webhooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/memo"
)

// Config tunes delivery. Zero values mean the defaults.
type Config struct {
	// AllowPrivate lets endpoints live on loopback, private, link-local and
	// other non-public addresses: for development and tests only.
	AllowPrivate bool
	Timeout      time.Duration // per attempt (default 10s)
	RetryFor     time.Duration // how long a delivery is retried (default 24h)
	BaseDelay    time.Duration // the first retry's delay; doubled each time (default 30s)
	MaxDelay     time.Duration // the longest delay between attempts (default 4h)
	Poll         time.Duration // how often the worker looks for due deliveries (default 1s)
	Lease        time.Duration // how long a claimed delivery is left alone (default 2m)
	Concurrency  int           // parallel sends per node (default 8)
	Retention    time.Duration // how long events and their deliveries are kept (default 30 days)
	Now          func() time.Time
}

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.Timeout, 10*time.Second)
	set(&c.RetryFor, 24*time.Hour)
	set(&c.BaseDelay, 30*time.Second)
	set(&c.MaxDelay, 4*time.Hour)
	set(&c.Poll, time.Second)
	set(&c.Lease, 2*time.Minute)
	set(&c.Retention, 30*24*time.Hour)
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Store keeps endpoints, the outbox and deliveries in MySQL, and delivers.
// Every query is scoped by tenant.
type Store struct {
	db     *sqlx.DB
	keys   *keyring.Ring
	cfg    Config
	client *http.Client
	wake   chan struct{}
	subs   *memo.Cache[[]subscriber] // by tenant id; nil: read at every event (see WithCache)
}

// subscriber is an active endpoint and the events it takes.
type subscriber struct {
	id     int64
	events []string
}

// Option completes a Store at construction.
type Option func(*Store)

// WithCache makes Enqueue know each tenant's active endpoints from memory
// (a login must not cost a query to learn that nobody listens), with
// changes to endpoints announced to every node through bus.
func WithCache(bus *memo.Bus, ttl time.Duration) Option {
	return func(s *Store) { s.subs = memo.NewCache[[]subscriber](bus, "webhook-endpoints", ttl, 100_000) }
}

// endpointsChanged drops the tenant's subscribers on every node.
func (s *Store) endpointsChanged(ctx context.Context, tenantID int64) {
	s.subs.Invalidate(ctx, strconv.FormatInt(tenantID, 10))
}

// NewStore returns a Store. Its HTTP client never uses a proxy, never
// follows redirects, and (unless AllowPrivate) cannot connect to
// non-public addresses.
func NewStore(db *sqlx.DB, keys *keyring.Ring, cfg Config, opts ...Option) *Store {
	cfg.defaults()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	s := &Store{db: db, keys: keys, cfg: cfg, wake: make(chan struct{}, 1),
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, o := range opts {
		o(s)
	}
	return s
}

func secretAD(tenantID, endpointID int64) string {
	return "webhook-secret:" + strconv.FormatInt(tenantID, 10) + ":" + strconv.FormatInt(endpointID, 10)
}

// newSecret is a signing secret in the Standard Webhooks form: "whsec_"
// and 32 random bytes, base64.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("webhooks: crypto/rand failed: " + err.Error())
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// EndpointInput is what a tenant admin sets on an endpoint.
type EndpointInput struct {
	URL         string
	Description string
	Events      []string
	Status      string // "" keeps the current one (active for a new endpoint)
}

func (s *Store) validate(ctx context.Context, in *EndpointInput) error {
	u, err := checkURL(ctx, in.URL, s.cfg.AllowPrivate)
	if err != nil {
		return err
	}
	in.URL = u
	if utf8.RuneCountInString(in.Description) > 256 || !utf8.ValidString(in.Description) {
		return tenants.Invalid("description must be at most 256 characters")
	}
	events, ok := validEvents(in.Events)
	if !ok {
		return tenants.Invalid("events must list one or more of " + strings.Join(Types, ", "))
	}
	in.Events = events
	if in.Status != "" && in.Status != StatusActive && in.Status != StatusDisabled {
		return tenants.Invalid("status must be active or disabled")
	}
	return nil
}

// CreateEndpoint registers an endpoint and returns its signing secret, in
// clear this once.
func (s *Store) CreateEndpoint(ctx context.Context, tenantID int64, in EndpointInput, actor audit.Actor) (*Endpoint, string, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, "", err
	}
	if in.Status == "" {
		in.Status = StatusActive
	}
	secret := newSecret()
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints
			(tenant_id, url, description, events, status, secret_sealed, secret_key_id) VALUES (?, ?, ?, ?, ?, '', '')`,
			tenantID, in.URL, in.Description, strings.Join(in.Events, ","), in.Status)
		if err != nil {
			return fmt.Errorf("webhooks: create endpoint: %w", err)
		}
		id, _ = res.LastInsertId()
		sealed, kid := s.keys.Seal([]byte(secret), secretAD(tenantID, id))
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret_sealed = ?, secret_key_id = ? WHERE id = ?`,
			sealed, kid, id); err != nil {
			return fmt.Errorf("webhooks: create endpoint: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.created", TargetType: "webhook", TargetID: strconv.FormatInt(id, 10),
			Details: map[string]any{"url": in.URL, "events": in.Events}})
	})
	if err != nil {
		return nil, "", err
	}
	s.endpointsChanged(ctx, tenantID)
	ep, err := s.Endpoint(ctx, tenantID, id)
	return ep, secret, err
}

// UpdateEndpoint replaces an endpoint's URL, description, events and status.
func (s *Store) UpdateEndpoint(ctx context.Context, tenantID, id int64, in EndpointInput, actor audit.Actor) (*Endpoint, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := endpointTx(ctx, tx, tenantID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, events = ?,
			status = COALESCE(NULLIF(?, ''), status) WHERE id = ? AND tenant_id = ?`,
			in.URL, in.Description, strings.Join(in.Events, ","), in.Status, id, tenantID); err != nil {
			return fmt.Errorf("webhooks: update endpoint: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.updated", TargetType: "webhook", TargetID: strconv.FormatInt(id, 10),
			Details: map[string]any{"url": in.URL, "events": in.Events, "status": in.Status}})
	})
	if err != nil {
		return nil, err
	}
	s.endpointsChanged(ctx, tenantID)
	return s.Endpoint(ctx, tenantID, id)
}

// RotateSecret gives an endpoint a new signing secret, returned in clear
// this once; the old one stops signing at once.
func (s *Store) RotateSecret(ctx context.Context, tenantID, id int64, actor audit.Actor) (string, error) {
	secret := newSecret()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := endpointTx(ctx, tx, tenantID, id); err != nil {
			return err
		}
		sealed, kid := s.keys.Seal([]byte(secret), secretAD(tenantID, id))
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret_sealed = ?, secret_key_id = ?
			WHERE id = ? AND tenant_id = ?`, sealed, kid, id, tenantID); err != nil {
			return fmt.Errorf("webhooks: rotate secret: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.secret_rotated", TargetType: "webhook", TargetID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// DeleteEndpoint removes an endpoint with its deliveries.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id int64, actor audit.Actor) error {
	defer s.endpointsChanged(ctx, tenantID)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ep, err := endpointTx(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID); err != nil {
			return fmt.Errorf("webhooks: delete endpoint: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.deleted", TargetType: "webhook", TargetID: strconv.FormatInt(id, 10),
			Details: map[string]any{"url": ep.URL}})
	})
}

// Endpoint loads an endpoint of a tenant.
func (s *Store) Endpoint(ctx context.Context, tenantID, id int64) (*Endpoint, error) {
	var ep Endpoint
	err := s.db.GetContext(ctx, &ep, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: load endpoint: %w", err)
	}
	return &ep, nil
}

func endpointTx(ctx context.Context, tx *sqlx.Tx, tenantID, id int64) (*Endpoint, error) {
	var ep Endpoint
	err := tx.GetContext(ctx, &ep, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND tenant_id = ? FOR UPDATE`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: load endpoint: %w", err)
	}
	return &ep, nil
}

// Endpoints lists a tenant's endpoints.
func (s *Store) Endpoints(ctx context.Context, tenantID int64) ([]Endpoint, error) {
	out := []Endpoint{}
	if err := s.db.SelectContext(ctx, &out, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = ? ORDER BY id`,
		tenantID); err != nil {
		return nil, fmt.Errorf("webhooks: list endpoints: %w", err)
	}
	return out, nil
}

func (s *Store) inTx(ctx context.Context, f func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhooks: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhooks: commit: %w", err)
	}
	return nil
}
