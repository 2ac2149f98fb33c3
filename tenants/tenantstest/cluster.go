package tenantstest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real three-master Redis Cluster on loopback ports, made of
// redis-server processes in a temporary directory.
type Cluster struct {
	Addrs []string
	dir   string
	procs []*exec.Cmd
}

// StartCluster starts the cluster and waits until it serves every slot.
// Call Stop when done; a package's TestMain usually owns one for all tests.
func StartCluster() (*Cluster, error) {
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("tenantstest: %s not found (make test installs Redis): %w", bin, err)
		}
	}
	dir, err := os.MkdirTemp("", "miniauth-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	for i := range 3 {
		port, err := freeClusterPort()
		if err != nil {
			c.Stop()
			return nil, err
		}
		nodeDir := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			c.Stop()
			return nil, err
		}
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
			"--save", "", "--appendonly", "no", "--dir", nodeDir, "--logfile", filepath.Join(nodeDir, "log"))
		if err := cmd.Start(); err != nil {
			c.Stop()
			return nil, fmt.Errorf("tenantstest: start redis-server: %w", err)
		}
		c.procs = append(c.procs, cmd)
		c.Addrs = append(c.Addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	for _, a := range c.Addrs {
		if err := waitPing(a); err != nil {
			c.Stop()
			return nil, err
		}
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("tenantstest: redis-cli --cluster create: %v: %s", err, out)
	}
	if err := c.waitOK(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Client returns a cluster client with the timeouts miniauth uses.
func (c *Cluster) Client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, Protocol: 2,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
}

// URL is the MINIAUTH_REDIS_URL naming the cluster.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Addrs))
	for i, a := range c.Addrs {
		urls[i] = "redis://" + a
	}
	return strings.Join(urls, ",")
}

// Stop kills the nodes and removes their directory.
func (c *Cluster) Stop() {
	for _, p := range c.procs {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	_ = os.RemoveAll(c.dir)
}

func (c *Cluster) waitOK() error {
	rdb := c.Client()
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		info, err := rdb.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			// Every node must agree before clients are reliable.
			ok := true
			for _, a := range c.Addrs {
				one := redis.NewClient(&redis.Options{Addr: a})
				i, err := one.ClusterInfo(context.Background()).Result()
				one.Close()
				ok = ok && err == nil && strings.Contains(i, "cluster_state:ok")
			}
			if ok {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("tenantstest: the Redis Cluster did not reach cluster_state:ok")
}

// freeClusterPort finds a port p with p and p+10000 (the cluster bus) free.
func freeClusterPort() (int, error) {
	for range 100 {
		p := 20000 + rand.IntN(20000)
		if free(p) && free(p+10000) {
			return p, nil
		}
	}
	return 0, errors.New("tenantstest: no free port pair for a cluster node")
}

func free(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func waitPing(addr string) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if rdb.Ping(context.Background()).Err() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("tenantstest: redis-server on %s did not start", addr)
}

// Keys lists the keys matching pattern on every master of a cluster, or on
// a single server.
func Keys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return rdb.Keys(ctx, pattern).Result()
	}
	var out []string
	var mu = make(chan struct{}, 1)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, pattern).Result()
		mu <- struct{}{}
		out = append(out, keys...)
		<-mu
		return err
	})
	return out, err
}
