package stats

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants/tenantstest"
)

// env is a test's own database, Redis namespace and clock.
type env struct {
	t      *testing.T
	db     *sqlx.DB
	rdb    redis.UniversalClient
	prefix string
	c      *Counter
	s      *Store
	mu     sync.Mutex
	clock  time.Time
}

// noon is a Beijing noon that the tests start from.
var noon = time.Date(2026, 11, 20, 12, 0, 0, 0, Zone)

func newEnv(t *testing.T) *env {
	t.Helper()
	db, _ := tenantstest.DB(t)
	rdb, prefix := tenantstest.Redis(t)
	return newEnvOn(t, db, rdb, prefix)
}

func newEnvOn(t *testing.T, db *sqlx.DB, rdb redis.UniversalClient, prefix string) *env {
	t.Helper()
	e := &env{t: t, db: db, rdb: rdb, prefix: prefix, clock: noon}
	e.c = NewCounter(rdb, prefix)
	e.c.SetClock(e.now)
	e.s = NewStore(db, e.c)
	return e
}

func (e *env) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *env) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = t
}

// tenant creates a tenant row and returns its id.
func (e *env) tenant(slug string) int64 {
	e.t.Helper()
	res, err := e.db.Exec(`INSERT INTO tenants (slug, name, settings) VALUES (?, ?, '{}')`, slug, "Tenant "+slug)
	if err != nil {
		e.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// record records events, failing the test on an error.
func (e *env) record(evs ...Event) {
	e.t.Helper()
	for _, ev := range evs {
		if err := e.c.Record(context.Background(), ev); err != nil {
			e.t.Fatalf("record %+v: %v", ev, err)
		}
	}
}

func (e *env) usage(tenantID int64, q Query) *Usage {
	e.t.Helper()
	u, err := e.s.Tenant(context.Background(), tenantID, q)
	if err != nil {
		e.t.Fatalf("tenant usage: %v", err)
	}
	return u
}

func (e *env) rollup(at time.Time) {
	e.t.Helper()
	if err := e.s.Rollup(context.Background(), at); err != nil {
		e.t.Fatalf("rollup: %v", err)
	}
}

// rows returns usage_daily as comparable lines.
func (e *env) rows() []row {
	e.t.Helper()
	var rows []row
	if err := e.db.Select(&rows, `SELECT tenant_id, DATE_FORMAT(day, '%Y-%m-%d') AS day, app_id, way, metric, value
		FROM usage_daily ORDER BY tenant_id, day, app_id, way, metric`); err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// last is the last element: today's value of a daily series.
func last(v []int64) int64 { return v[len(v)-1] }

func login(tenant, app int64, way Way, user int64) Event {
	return Event{TenantID: tenant, AppID: app, Way: way, Kind: KindLogin, UserID: user}
}

func newUser(tenant, app int64, way Way, user int64) Event {
	return Event{TenantID: tenant, AppID: app, Way: way, Kind: KindNewUser, UserID: user}
}

func failed(tenant, app int64, way Way, cause string) Event {
	return Event{TenantID: tenant, AppID: app, Way: way, Kind: KindFailed, Cause: cause}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
