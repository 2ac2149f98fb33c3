package stats

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestRollupIdempotent: rolling a day up twice leaves the same rows; more
// use of the day replaces the values, never adds to them.
func TestRollupIdempotent(t *testing.T) {
	e := newEnv(t)
	a, b := e.tenant("acme"), e.tenant("beta")
	e.record(newUser(a, 1, WayMiniProgram, 1), login(a, 1, WayMiniProgram, 2), login(a, 2, WayWebsite, 2),
		failed(a, 1, WayMiniProgram, "wechat_unavailable"), login(b, 3, WayMiniProgram, 9))
	e.rollup(noon)
	first := e.rows()
	e.rollup(noon)
	if again := e.rows(); !slices.Equal(first, again) {
		t.Fatalf("second rollup changed the rows:\n%v\n%v", first, again)
	}
	iso := "2026-11-20"
	want := []row{
		{a, iso, 0, "", mDAU, 2},
		{a, iso, 0, "", mMAU, 2},
		{a, iso, 0, "miniprogram", mDAUWay, 2},
		{a, iso, 0, "website", mDAUWay, 1},
		{a, iso, 1, "", mDAUApp, 2},
		{a, iso, 1, "miniprogram", mDAUAppWay, 2},
		{a, iso, 1, "miniprogram", "failed:wechat_unavailable", 1},
		{a, iso, 1, "miniprogram", mLogins, 2},
		{a, iso, 1, "miniprogram", mNewUsers, 1},
		{a, iso, 2, "", mDAUApp, 1},
		{a, iso, 2, "website", mDAUAppWay, 1},
		{a, iso, 2, "website", mLogins, 1},
		{b, iso, 0, "", mDAU, 1},
		{b, iso, 0, "", mMAU, 1},
		{b, iso, 0, "miniprogram", mDAUWay, 1},
		{b, iso, 3, "", mDAUApp, 1},
		{b, iso, 3, "miniprogram", mDAUAppWay, 1},
		{b, iso, 3, "miniprogram", mLogins, 1},
	}
	if !slices.Equal(first, want) {
		t.Fatalf("rows\n%v\nwant\n%v", first, want)
	}

	e.record(login(a, 1, WayMiniProgram, 3))
	e.rollup(noon)
	var logins, dau int64
	for _, r := range e.rows() {
		if r.TenantID == a && r.AppID == 1 && r.Metric == mLogins {
			logins = r.Value
		}
		if r.TenantID == a && r.Metric == mDAU {
			dau = r.Value
		}
	}
	if logins != 3 || dau != 3 {
		t.Fatalf("after one more login: logins %d, dau %d; want 3, 3", logins, dau)
	}

	// The rolled-up day reads the same from MySQL as it did live.
	live := e.usage(a, Query{Days: 2})
	e.set(noon.Add(24 * time.Hour))
	hist := e.usage(a, Query{Days: 2})
	if live.Logins[1] != hist.Logins[0] || live.DAU[1] != hist.DAU[0] || hist.Logins[1] != 0 {
		t.Fatalf("live %v/%v, from history %v/%v", live.Logins, live.DAU, hist.Logins, hist.DAU)
	}
	if !slices.Equal(live.FailedByCause, hist.FailedByCause) || !slices.Equal(live.Apps, hist.Apps) {
		t.Fatalf("live %v %v, from history %v %v", live.FailedByCause, live.Apps, hist.FailedByCause, hist.Apps)
	}
}

// TestRollupSkipsIdleTenants: a tenant with nothing counted gets no rows.
func TestRollupSkipsIdleTenants(t *testing.T) {
	e := newEnv(t)
	e.tenant("idle")
	e.rollup(noon)
	if rows := e.rows(); len(rows) != 0 {
		t.Fatalf("rows %v", rows)
	}
}

// TestMAU: MAU is the union of the 30 days' users, today included; a user
// of many days counts once; one 30 days ago does not count.
func TestMAU(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	for day := 0; day <= 30; day++ {
		e.set(noon.Add(time.Duration(day) * 24 * time.Hour))
		e.record(login(a, 1, WayMiniProgram, 1))          // every day: one user
		e.record(login(a, 2, WayWebsite, int64(100+day))) // a new one each day
		e.rollup(e.now())
	}
	// Today is day 30: days 1 to 30 count, so users 101…130 and user 1.
	u := e.usage(a, Query{})
	if u.MAU != 31 {
		t.Fatalf("mau %d, want 31", u.MAU)
	}
	// Day 1 has seen users 1, 100 and 101; day 29 users 1 and 100…129.
	if u.MAUDaily[0] != 3 || u.MAUDaily[28] != 31 || last(u.MAUDaily) != 31 {
		t.Fatalf("mau per day %v", u.MAUDaily)
	}
	if w := e.usage(a, Query{AppID: 2}); w.MAU != 30 || w.MAUDaily != nil {
		t.Fatalf("mau of app 2: %d (per day %v), want 30 and none per day", w.MAU, w.MAUDaily)
	}
	if w := e.usage(a, Query{Way: WayMiniProgram}); w.MAU != 1 {
		t.Fatalf("mau of the mini-program %d, want 1", w.MAU)
	}
	if w := e.usage(a, Query{Days: 7}); w.MAU != 31 || len(w.Days) != 7 {
		t.Fatalf("a 7-day window: mau %d, %d days", w.MAU, len(w.Days))
	}
	if w := e.usage(a, Query{Days: 90}); w.Logins[59] != 2 || w.Logins[58] != 0 || last(w.DAU) != 2 {
		t.Fatalf("90 days: logins %v, dau %v", w.Logins, w.DAU)
	}
}

// TestPlatform: the platform sums every tenant, the history and today.
func TestPlatform(t *testing.T) {
	e := newEnv(t)
	a, b := e.tenant("acme"), e.tenant("beta")
	e.tenant("idle")
	e.record(newUser(a, 1, WayMiniProgram, 1), login(b, 2, WaySMS, 2), failed(b, 2, WaySMS, "invalid_code"))
	e.rollup(noon)
	e.set(noon.Add(24 * time.Hour))
	e.record(login(a, 1, WayMiniProgram, 1), login(a, 1, WayMiniProgram, 3), failed(a, 1, WayMiniProgram, "invalid_code"),
		failed(a, 1, WayMiniProgram, "user_banned"))
	p, err := e.s.Platform(context.Background(), 30)
	if err != nil {
		t.Fatal(err)
	}
	n := len(p.Days)
	if n != 30 || p.Days[n-1] != "2026-11-21" {
		t.Fatalf("days %v", p.Days)
	}
	if got := [2][4]int64{{p.Logins[n-2], p.NewUsers[n-2], p.Failed[n-2], p.DAU[n-2]},
		{p.Logins[n-1], p.NewUsers[n-1], p.Failed[n-1], p.DAU[n-1]}}; got != [2][4]int64{{2, 1, 1, 2}, {2, 0, 2, 2}} {
		t.Fatalf("yesterday and today (logins, new users, failed, dau): %v", got)
	}
	if p.MAU != 3 || p.MAUDaily[n-2] != 2 {
		t.Fatalf("mau %d (yesterday %d), want 3 (2)", p.MAU, p.MAUDaily[n-2])
	}
	if want := []CauseCount{{"invalid_code", 2}, {"user_banned", 1}}; !slices.Equal(p.FailedByCause, want) {
		t.Fatalf("causes %v", p.FailedByCause)
	}
	want := []TenantTotal{{a, "acme", "Tenant acme", 3, 1, 2}, {b, "beta", "Tenant beta", 1, 0, 1}}
	if !slices.Equal(p.Tenants, want) {
		t.Fatalf("tenants %+v, want %+v", p.Tenants, want)
	}
}

// TestRunTakesTheLock: one node rolls up per period; the other finds the
// lock taken; Run stops with its context.
func TestRunTakesTheLock(t *testing.T) {
	e := newEnv(t)
	a := e.tenant("acme")
	e.set(time.Now())
	e.record(login(a, 1, WayMiniProgram, 1))
	other := NewStore(e.db, e.c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.s.Run(ctx, discard(), RunOptions{Every: time.Hour})
		close(done)
	}()
	for deadline := time.Now().Add(20 * time.Second); len(e.rows()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Run did not roll up within 20s")
		}
	}
	if ran, err := other.round(ctx, time.Hour, 1); err != nil || ran {
		t.Fatalf("a second node ran a round (%v, %v) while the lock was held", ran, err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

// TestTenantsApart: a tenant's counts, users and history are its own.
func TestTenantsApart(t *testing.T) {
	e := newEnv(t)
	a, b := e.tenant("acme"), e.tenant("beta")
	e.record(login(a, 1, WayMiniProgram, 1), failed(a, 1, WayMiniProgram, "invalid_code"))
	e.rollup(noon)
	e.set(noon.Add(24 * time.Hour))
	e.record(login(a, 1, WayMiniProgram, 2))
	u := e.usage(b, Query{})
	for _, s := range [][]int64{u.Logins, u.NewUsers, u.Failed, u.DAU, u.MAUDaily} {
		if slices.Max(s) != 0 {
			t.Fatalf("beta sees acme's use: %v", u.Daily)
		}
	}
	if u.MAU != 0 || len(u.FailedByCause) != 0 || len(u.Apps) != 0 || len(u.Ways) != 0 {
		t.Fatalf("beta sees acme's use: %+v", u)
	}
}

func TestBadQuery(t *testing.T) {
	e := newEnv(t)
	for _, q := range []Query{{Days: -1}, {Days: MaxDays + 1}, {AppID: -2}, {Way: "fax"}} {
		if _, err := e.s.Tenant(context.Background(), 1, q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%+v: %v, want ErrBadQuery", q, err)
		}
	}
	if _, err := e.s.Platform(context.Background(), 400); !errors.Is(err, ErrBadQuery) {
		t.Errorf("platform of 400 days: %v, want ErrBadQuery", err)
	}
}
