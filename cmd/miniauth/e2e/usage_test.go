package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// TestServeRollsUpUsage runs two `miniauth serve` nodes with a short
// rollup period: logins on both are counted once each, the rollup that
// serve runs (one node a round, by the lock in Redis) copies them into
// usage_daily for the charts' history, and SIGTERM stops each node, its
// rollup with it, exiting 0.
func TestServeRollsUpUsage(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	nodes := []*node{s.start("MINIAUTH_USAGE_ROLLUP_EVERY=10s"), s.start("MINIAUTH_USAGE_ROLLUP_EVERY=10s")}
	for i, user := range []string{"ann", "bob", "ann", "cy"} {
		nodes[i%2].mustLogin(s.wx, "acme", appID, user)
	}
	eventually(t, 3*time.Minute, "the logins rolled up into usage_daily", func() string {
		var logins, newUsers int64
		err := s.db.QueryRowContext(waitCtx(t), `SELECT
				COALESCE(SUM(CASE WHEN metric = 'logins' THEN value END), 0),
				COALESCE(SUM(CASE WHEN metric = 'new_users' THEN value END), 0)
			FROM usage_daily u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'acme'`).Scan(&logins, &newUsers)
		if err != nil || logins != 4 || newUsers != 3 {
			return fmt.Sprintf("%d logins and %d new users in usage_daily (%v), want 4 and 3", logins, newUsers, err)
		}
		return ""
	})
	for i, n := range nodes {
		if err := n.proc.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := n.exit(time.Minute); code != 0 {
			t.Fatalf("node %d exited %d after SIGTERM; log:\n%s", i+1, code, n.proc.Log.String())
		}
	}
}
