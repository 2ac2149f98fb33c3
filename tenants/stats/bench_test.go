package stats

import (
	"context"
	"testing"

	"miniauth/tenants/tenantstest"
)

// BenchmarkRecord measures one successful login's counting: one pipelined
// round trip to the local Redis (HINCRBY and two PFADDs).
func BenchmarkRecord(b *testing.B) {
	rdb, prefix := tenantstest.Redis(b)
	c := NewCounter(rdb, prefix)
	ctx := context.Background()
	b.ReportAllocs()
	var user int64
	for b.Loop() {
		user++
		if err := c.Record(ctx, Event{TenantID: 1, AppID: 1, Way: WayMiniProgram, Kind: KindLogin, UserID: user % 5000}); err != nil {
			b.Fatal(err)
		}
	}
}
