package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

func openMySQL(ctx context.Context, dsn string) (*sqlx.DB, error) {
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(64)
	db.SetConnMaxLifetime(5 * time.Minute)
	db.SetConnMaxIdleTime(time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql: %w", err)
	}
	return db, nil
}

// openRedis returns a client for one Redis, for a Redis Cluster when the
// URL lists several addresses separated by commas, or for a Sentinel-managed
// master when sentinelMaster names it (the URLs are then the sentinels).
func openRedis(ctx context.Context, raw, sentinelMaster string) (redis.UniversalClient, error) {
	var rdb redis.UniversalClient
	if sentinelMaster != "" {
		opt := &redis.FailoverOptions{MasterName: sentinelMaster}
		for _, p := range strings.Split(raw, ",") {
			u, err := url.Parse(strings.TrimSpace(p))
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("redis: %q is not a redis:// URL of a sentinel", p)
			}
			opt.SentinelAddrs = append(opt.SentinelAddrs, u.Host)
			if u.User != nil {
				opt.Password, _ = u.User.Password()
			}
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = time.Second, time.Second, time.Second, time.Second
		opt.MaxRetries, opt.PoolSize = 1, 64
		rdb = redis.NewFailoverClient(opt)
	} else if parts := strings.Split(raw, ","); len(parts) > 1 {
		opt := &redis.ClusterOptions{}
		for _, p := range parts {
			u, err := url.Parse(strings.TrimSpace(p))
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("redis: %q is not a redis:// URL", p)
			}
			opt.Addrs = append(opt.Addrs, u.Host)
			if u.User != nil {
				opt.Username = u.User.Username()
				opt.Password, _ = u.User.Password()
			}
		}
		tuneCluster(opt)
		rdb = redis.NewClusterClient(opt)
	} else {
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis: bad MINIAUTH_REDIS_URL: %w", err)
		}
		tune(opt)
		rdb = redis.NewClient(opt)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return rdb, nil
}

// Short timeouts: with Redis gone, a request should fail in about a second
// with 503, not wait on a pool.
func tune(o *redis.Options) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = time.Second, time.Second, time.Second, time.Second
	o.MaxRetries = 1
	o.PoolSize = 64
}

func tuneCluster(o *redis.ClusterOptions) {
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = time.Second, time.Second, time.Second, time.Second
	o.MaxRetries = 1
	o.PoolSize = 64
}
