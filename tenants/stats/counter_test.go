package stats

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants/tenantstest"
)

func TestRecordCounts(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	e.record(
		newUser(a, 1, WayMiniProgram, 100),
		login(a, 1, WayMiniProgram, 101),
		login(a, 1, WayMiniProgram, 101),
		login(a, 2, WayWebsite, 102),
		newUser(a, 0, WaySMS, 103),
		failed(a, 1, WayMiniProgram, "invalid_code"),
		failed(a, 1, WayMiniProgram, "invalid_code"),
		failed(a, 0, WaySMS, "rate_limited"),
		Event{TenantID: a, AppID: 2, Way: WayWebsite, Kind: KindFailed}, // no cause: unknown
	)
	cases := []struct {
		name                            string
		q                               Query
		logins, newUsers, failures, dau int64
		causes                          []CauseCount
	}{
		{"whole tenant", Query{}, 5, 2, 4, 4,
			[]CauseCount{{"invalid_code", 2}, {"rate_limited", 1}, {"unknown", 1}}},
		{"one app", Query{AppID: 1}, 3, 1, 2, 2, []CauseCount{{"invalid_code", 2}}},
		{"one way", Query{Way: WaySMS}, 1, 1, 1, 1, []CauseCount{{"rate_limited", 1}}},
		{"app and way", Query{AppID: 2, Way: WayWebsite}, 1, 0, 1, 1, []CauseCount{{"unknown", 1}}},
		{"nothing there", Query{AppID: 2, Way: WaySMS}, 0, 0, 0, 0, []CauseCount{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := e.usage(a, tc.q)
			if len(u.Days) != 30 || u.Days[29] != "2026-11-20" || u.Days[0] != "2026-10-22" {
				t.Fatalf("days %s … %s (%d)", u.Days[0], u.Days[len(u.Days)-1], len(u.Days))
			}
			got := [4]int64{last(u.Logins), last(u.NewUsers), last(u.Failed), last(u.DAU)}
			if want := [4]int64{tc.logins, tc.newUsers, tc.failures, tc.dau}; got != want {
				t.Fatalf("today logins, new users, failed, dau = %v, want %v", got, want)
			}
			if !slices.Equal(u.FailedByCause, tc.causes) {
				t.Fatalf("causes %v, want %v", u.FailedByCause, tc.causes)
			}
			if u.MAU != tc.dau {
				t.Fatalf("mau %d, want %d (one day of use)", u.MAU, tc.dau)
			}
		})
	}
	u := e.usage(a, Query{})
	wantApps := []Breakdown{{AppID: 1, Logins: 3, NewUsers: 1, Failed: 2}, {AppID: 0, Logins: 1, NewUsers: 1, Failed: 1},
		{AppID: 2, Logins: 1, Failed: 1}}
	if !slices.Equal(u.Apps, wantApps) {
		t.Fatalf("apps %+v, want %+v", u.Apps, wantApps)
	}
	wantWays := []Breakdown{{Way: WayMiniProgram, Logins: 3, NewUsers: 1, Failed: 2},
		{Way: WaySMS, Logins: 1, NewUsers: 1, Failed: 1}, {Way: WayWebsite, Logins: 1, Failed: 1}}
	if !slices.Equal(u.Ways, wantWays) {
		t.Fatalf("ways %+v, want %+v", u.Ways, wantWays)
	}
}

func TestRecordRefusesBadEvents(t *testing.T) {
	e := newEnv(t)
	for _, ev := range []Event{
		{AppID: 1, Way: WayMiniProgram, Kind: KindLogin},
		{TenantID: 1, AppID: -1, Way: WayMiniProgram, Kind: KindLogin},
		{TenantID: 1, Way: "carrier-pigeon", Kind: KindLogin},
		{TenantID: 1, Way: WaySMS, Kind: "visit"},
		{TenantID: 1, Way: WaySMS, Kind: KindLogin, Cause: "invalid_code"},
		{TenantID: 1, Way: WaySMS, Kind: KindFailed, Cause: "Bad Cause:with colon"},
		{TenantID: 1, Way: WaySMS, Kind: KindFailed, Cause: strings.Repeat("x", 41)},
	} {
		if err := e.c.Record(context.Background(), ev); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", ev, err)
		}
	}
	if keys, _ := e.rdb.Keys(context.Background(), e.prefix+":*").Result(); len(keys) != 0 {
		t.Fatalf("refused events wrote %v", keys)
	}
}

// TestDistinctUsers: a user who logs in twice is one user of the day.
func TestDistinctUsers(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	e.record(login(a, 1, WayMiniProgram, 7), login(a, 1, WayMiniProgram, 7), login(a, 1, WayWebsite, 7),
		login(a, 1, WayMiniProgram, 0)) // a login without a user counts, but not as a user
	u := e.usage(a, Query{})
	if last(u.Logins) != 4 || last(u.DAU) != 1 || u.MAU != 1 {
		t.Fatalf("logins %d, dau %d, mau %d; want 4, 1, 1", last(u.Logins), last(u.DAU), u.MAU)
	}
	if w := e.usage(a, Query{AppID: 1, Way: WayMiniProgram}); last(w.DAU) != 1 {
		t.Fatalf("dau of the mini-program %d, want 1", last(w.DAU))
	}
	e.record(login(a, 1, WayMiniProgram, 8))
	if u := e.usage(a, Query{}); last(u.DAU) != 2 {
		t.Fatalf("dau after another user %d, want 2", last(u.DAU))
	}
}

// TestDayBoundary: days turn over at midnight in Beijing, not UTC.
func TestDayBoundary(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	// 23:59:59.999 in Beijing is 15:59:59 UTC; 08:00 in Beijing is midnight UTC.
	e.set(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) // 08:00 on the 20th in Beijing
	e.record(login(a, 1, WayMiniProgram, 1))
	e.set(time.Date(2026, 11, 20, 15, 59, 59, 999e6, time.UTC))
	e.record(login(a, 1, WayMiniProgram, 2))
	e.rollup(e.now())
	e.set(time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)) // midnight on the 21st in Beijing
	e.record(login(a, 1, WayMiniProgram, 3))
	u := e.usage(a, Query{Days: 2})
	if !slices.Equal(u.Days, []string{"2026-11-20", "2026-11-21"}) {
		t.Fatalf("days %v", u.Days)
	}
	if !slices.Equal(u.Logins, []int64{2, 1}) || !slices.Equal(u.DAU, []int64{2, 1}) {
		t.Fatalf("logins %v, dau %v; want [2 1] each", u.Logins, u.DAU)
	}
	if u.MAU != 3 {
		t.Fatalf("mau %d, want 3", u.MAU)
	}
	for _, k := range []string{keysOf(e.prefix, a, noon).counts(), keysOf(e.prefix, a, noon.Add(24*time.Hour)).counts()} {
		if n, err := e.rdb.Exists(context.Background(), k).Result(); err != nil || n != 1 {
			t.Fatalf("key %s: %d, %v", k, n, err)
		}
	}
}

// TestKeysExpire: every key written gets the retention as its expiry.
func TestKeysExpire(t *testing.T) {
	e := newEnv(t)
	e.set(time.Now())
	e.record(login(1, 1, WayMiniProgram, 1), failed(1, 1, WayMiniProgram, "user_banned"))
	ctx := context.Background()
	keys, err := e.rdb.Keys(ctx, e.prefix+":*").Result()
	if err != nil || len(keys) != 3 {
		t.Fatalf("keys %v, %v; want the hash and two HyperLogLogs", keys, err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, e.prefix+":t:1:st:{t:1}:") {
			t.Errorf("key %s is not in the tenant's namespace and slot", k)
		}
		ttl, err := e.rdb.TTL(ctx, k).Result()
		if err != nil || ttl < 98*24*time.Hour || ttl > retention {
			t.Errorf("ttl of %s: %v, %v", k, ttl, err)
		}
	}
}

// TestRecordNeverTouchesMySQL: a Counter holds no pool at all; a Store
// whose MySQL is unreachable still counts, and only its queries fail.
func TestRecordNeverTouchesMySQL(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	dead, err := sqlx.Open("mysql", "root:@tcp(127.0.0.1:1)/none?timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	e := newEnvOn(t, dead, rdb, prefix)
	e.record(newUser(1, 1, WayMiniProgram, 1), failed(1, 1, WayMiniProgram, "invalid_code"))
	if n, _ := rdb.HLen(context.Background(), keysOf(prefix, 1, noon).counts()).Result(); n != 2 {
		t.Fatalf("%d fields counted, want 2", n)
	}
	if st := dead.Stats(); st.OpenConnections != 0 {
		t.Fatalf("the pool opened %d connections", st.OpenConnections)
	}
	if _, err := e.s.Tenant(context.Background(), 1, Query{}); err == nil {
		t.Fatal("a query with MySQL down succeeded: the test does not test what it says")
	}
}

// TestRecordOrLog: Redis down is a logged warning, never an error or a panic.
func TestRecordOrLog(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	c := NewCounter(rdb, "mat")
	ev := login(1, 1, WayMiniProgram, 1)
	if err := c.Record(context.Background(), ev); err == nil {
		t.Fatal("Record with Redis down returned nil")
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	c.RecordOrLog(context.Background(), log, ev)
	if s := buf.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "tenant_id=1") {
		t.Fatalf("log %q", s)
	}
}

// TestRollupRestoresExpiry: a key that lost its expiry (Redis lost it and
// it came back the same day, after this process had set it) gets it again
// from the next rollup.
func TestRollupRestoresExpiry(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	e.set(time.Now())
	e.record(login(a, 1, WayMiniProgram, 1))
	ctx := context.Background()
	keys, _ := e.rdb.Keys(ctx, e.prefix+":*").Result()
	for _, k := range keys {
		e.rdb.Persist(ctx, k)
	}
	e.rollup(e.now())
	for _, k := range keys {
		if ttl, err := e.rdb.TTL(ctx, k).Result(); err != nil || ttl < 98*24*time.Hour {
			t.Errorf("ttl of %s after the rollup: %v, %v", k, ttl, err)
		}
	}
	if len(keys) != 3 {
		t.Fatalf("keys %v", keys)
	}
}
