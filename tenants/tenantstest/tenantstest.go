// Package tenantstest gives tests their own MySQL database and Redis
// namespace on the real services, so that tests never share state.
package tenantstest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/migrations"
	"miniauth/tenants/keyring"
	"miniauth/tenants/memo"
)

// MySQLDSN is the server tests create their databases on.
func MySQLDSN() string {
	if v := os.Getenv("MINIAUTH_TEST_MYSQL_DSN"); v != "" {
		return v
	}
	return "root:@tcp(127.0.0.1:3306)/?parseTime=true&charset=utf8mb4"
}

// RedisURL is the Redis tests use, each under its own key prefix.
func RedisURL() string {
	if v := os.Getenv("MINIAUTH_TEST_REDIS_URL"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// Name returns a short random name with prefix, for databases and prefixes.
func Name(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// DB creates an empty database, migrates it, and drops it when the test
// ends. It returns the pool and the DSN that reaches the database.
func DB(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLDSN())
	if err != nil {
		t.Fatalf("tenantstest: bad MINIAUTH_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	admin, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := Name("matest_")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("tenantstest: MySQL not reachable (run `make test`, which starts it): %v", err)
	}
	t.Cleanup(func() {
		if a, err := sqlx.Open("mysql", cfg.FormatDSN()); err == nil {
			_, _ = a.Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	cfg.DBName = name
	cfg.ParseTime = true
	dsn := cfg.FormatDSN()
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db.DB, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("tenantstest: migrate: %v", err)
	}
	return db, dsn
}

// Redis returns a client and a key prefix of the test's own; the keys under
// it are deleted when the test ends.
func Redis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("tenantstest: bad MINIAUTH_TEST_REDIS_URL: %v", err)
	}
	opt.Protocol = 2 // as the server speaks (cmd/miniauth/config.go)
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("tenantstest: Redis not reachable (run `make test`, which starts it): %v", err)
	}
	prefix := Name("mat")
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

// Keyring returns a keyring with a fresh random master key.
func Keyring(t testing.TB) *keyring.Ring {
	t.Helper()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k, err := keyring.New(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Bus returns a cache-invalidation bus on rdb that is already subscribed,
// as a serving node's is; it stops with the test.
func Bus(t testing.TB, rdb redis.UniversalClient, prefix string) *memo.Bus {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	bus := memo.NewBus(rdb, prefix, slog.New(slog.DiscardHandler))
	go bus.Listen(ctx)
	for deadline := time.Now().Add(5 * time.Second); !bus.Listening(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("tenantstest: the cache bus did not subscribe within 5s")
		}
	}
	return bus
}
