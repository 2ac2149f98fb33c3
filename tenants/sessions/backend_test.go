package sessions_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/tenantstest"
)

// The session suite runs on a single Redis and on a real three-master
// Redis Cluster, started once for this package.
var cluster *tenantstest.Cluster

func TestMain(m *testing.M) {
	c, err := tenantstest.StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cluster = c
	code := m.Run()
	c.Stop()
	os.Exit(code)
}

type backend struct {
	name string
	open func(t *testing.T) (redis.UniversalClient, string)
}

var backends = []backend{
	{"redis", func(t *testing.T) (redis.UniversalClient, string) { return tenantstest.Redis(t) }},
	{"cluster", func(t *testing.T) (redis.UniversalClient, string) {
		rdb := cluster.Client()
		prefix := tenantstest.Name("mat")
		t.Cleanup(func() {
			ctx := context.Background()
			keys, _ := tenantstest.Keys(ctx, rdb, prefix+":*")
			for _, k := range keys {
				rdb.Del(ctx, k)
			}
			rdb.Close()
		})
		return rdb, prefix
	}},
}

func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}
