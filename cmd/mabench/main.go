// Command mabench is the load half of `make bench`: it starts miniauth, the
// WeChat simulator (wxmock) and a floor server as real processes against
// MariaDB and Redis, seeds tenants, users and sessions directly, drives
// /login, /me and /introspect with vegeta, and prints each result beside
// the floor's (the least any server must do for that path) as a ratio.
//
// Everything it writes goes to a database and a Redis database of its own
// (miniauth_bench and db 9 by default), which it empties before and after.
//
//	mabench [--quick] [--report FILE]      the whole run
//	mabench floor --addr ... --mysql ...   the floor server (started by the run)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the run's knobs.
type options struct {
	bin         string // directory holding miniauth and wxmock
	mysqlAddr   string // host:port, root with an empty password
	database    string
	redisAddr   string
	redisDB     int
	prefix      string
	duration    time.Duration
	concurrency int
	tenants     int
	users       int // users at scale, spread over the tenants
	sessions    int // live sessions at scale, spread over the users
	baseUsers   int // users (each with one session) of the single-tenant runs
	report      string
	keep        bool
	profiles    string // directory for CPU profiles of miniauth during its maximum-throughput runs
	rounds      int    // rounds of miniauth then the floor per path (rounds.go)
	only        string // run only the paths whose names contain this ("" all)
	serverEnv   []string
	// tokensOnLogin gives the bench's tenants access_token_on_login (a new
	// tenant starts without).
	tokensOnLogin bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := runFloor(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "mabench floor:", err)
			os.Exit(1)
		}
		return
	}
	o := options{}
	quick := false
	fs := flag.NewFlagSet("mabench", flag.ExitOnError)
	fs.StringVar(&o.bin, "bin", "bin", "directory with the miniauth and wxmock binaries")
	fs.StringVar(&o.mysqlAddr, "mysql", envOr("MARIADB_HOST", "127.0.0.1")+":"+envOr("MARIADB_PORT", "3306"), "MariaDB host:port (root, empty password)")
	fs.StringVar(&o.database, "database", "miniauth_bench", "database for the bench's data (dropped afterwards)")
	fs.StringVar(&o.redisAddr, "redis", envOr("REDIS_HOST", "127.0.0.1")+":"+envOr("REDIS_PORT", "6379"), "Redis host:port")
	fs.IntVar(&o.redisDB, "redis-db", 9, "Redis database number for the bench's keys (flushed before and after; not 0)")
	fs.StringVar(&o.prefix, "prefix", "ma", "Redis key prefix (miniauth's own default; the bench has its Redis database to itself)")
	fs.BoolVar(&quick, "quick", os.Getenv("BENCH_QUICK") != "", "short runs and a small data set (also BENCH_QUICK=1)")
	fs.DurationVar(&o.duration, "duration", 0, "length of each timed run (default 8s, quick 3s)")
	fs.IntVar(&o.concurrency, "c", 64, "concurrent connections and workers, the same for miniauth and the floor")
	fs.IntVar(&o.tenants, "tenants", 0, "tenants at scale (default 1000, quick 100)")
	fs.IntVar(&o.users, "users", 0, "users at scale (default 100000, quick 10000)")
	fs.IntVar(&o.sessions, "sessions", 0, "live sessions at scale (default 1000000, quick 50000)")
	fs.IntVar(&o.baseUsers, "base-users", 2000, "users with one session each in the single-tenant runs")
	fs.StringVar(&o.report, "report", "", "also write the Markdown report to this file")
	fs.BoolVar(&o.keep, "keep", false, "leave the bench database and Redis keys in place")
	fs.StringVar(&o.profiles, "profiles", "", "write a CPU profile of miniauth during each maximum-throughput run into this directory (go tool pprof)")
	fs.BoolVar(&o.tokensOnLogin, "tokens-on-login", false, "give the tenants access_token_on_login, so that every login signs an access token (a new tenant's default is off)")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds of miniauth then the floor per path; the median is reported (default 3, quick 1)")
	fs.StringVar(&o.only, "only", "", "measure only the paths whose names contain this (me, introspect, login, sms; the scale runs need --only scale or none), or, after a =, the one path of that name (=login)")
	fs.Func("server-env", "NAME=VALUE for miniauth's environment only (e.g. GOGC=400); repeatable", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want NAME=VALUE, not %q", v)
		}
		o.serverEnv = append(o.serverEnv, v)
		return nil
	})
	_ = fs.Parse(os.Args[1:])
	def := func(v *int, full, q int) {
		if *v == 0 {
			*v = full
			if quick {
				*v = q
			}
		}
	}
	def(&o.tenants, 1000, 100)
	def(&o.users, 100_000, 10_000)
	def(&o.sessions, 1_000_000, 50_000)
	def(&o.rounds, 3, 1)
	if o.duration == 0 {
		o.duration = 8 * time.Second
		if quick {
			o.duration = 3 * time.Second
		}
	}
	if o.redisDB == 0 {
		fmt.Fprintln(os.Stderr, "mabench: --redis-db 0 is the tests' database; choose another")
		os.Exit(2)
	}
	if o.users < o.tenants || o.sessions < o.users {
		fmt.Fprintln(os.Stderr, "mabench: want tenants ≤ users ≤ sessions")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "mabench:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
