package stats

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

// TestCluster: on a real Redis Cluster every key of a tenant is in one
// slot, so recording, the rollup and the multi-key PFCOUNT of MAU work
// (without the hash tag, PFCOUNT over days would fail with CROSSSLOT).
func TestCluster(t *testing.T) {
	cluster, err := tenantstest.StartCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	rdb := cluster.Client()
	t.Cleanup(func() { rdb.Close() })
	db, _ := tenantstest.DB(t)
	e := newEnvOn(t, db, rdb, tenantstest.Name("mat"))
	a, b := e.tenant("acme"), e.tenant("beta")
	for day := range 3 {
		e.set(noon.Add(time.Duration(day) * 24 * time.Hour))
		e.record(login(a, 1, WayMiniProgram, int64(day+1)), login(a, 2, WayWebsite, 99), login(b, 3, WaySMS, 5),
			failed(b, 3, WaySMS, "invalid_sms_code"))
		e.rollup(e.now())
	}
	u := e.usage(a, Query{})
	if u.MAU != 4 || last(u.DAU) != 2 || last(u.Logins) != 2 {
		t.Fatalf("mau %d, dau %d, logins %d; want 4, 2, 2", u.MAU, last(u.DAU), last(u.Logins))
	}
	if w := e.usage(a, Query{AppID: 1}); w.MAU != 3 {
		t.Fatalf("mau of app 1: %d, want 3", w.MAU)
	}
	p, err := e.s.Platform(context.Background(), 30)
	if err != nil {
		t.Fatal(err)
	}
	if p.MAU != 5 || last(p.Failed) != 1 || len(p.Tenants) != 2 {
		t.Fatalf("platform mau %d, failed today %d, tenants %v", p.MAU, last(p.Failed), p.Tenants)
	}
	if ok, err := e.s.lock(context.Background(), time.Minute); err != nil || !ok {
		t.Fatalf("lock on the cluster: %v, %v", ok, err)
	}
}
