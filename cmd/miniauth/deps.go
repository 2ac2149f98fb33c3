package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	_ "github.com/go-sql-driver/mysql" // the database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants/memo"
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

// openRedis connects with the options the configuration read
// (Config.Redis: one server, a cluster or a Sentinel-managed master).
func openRedis(ctx context.Context, opt *redis.UniversalOptions) (redis.UniversalClient, error) {
	rdb := redis.NewUniversalClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return rdb, nil
}

// cliBus announces the changes a command commits to the running servers'
// caches. It never listens: a command keeps nothing in memory.
func cliBus(rdb redis.UniversalClient, cfg Config) *memo.Bus {
	return memo.NewBus(rdb, cfg.RedisPrefix, slog.New(slog.NewTextHandler(os.Stderr, nil)))
}
