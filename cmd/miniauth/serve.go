package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/api"
	"miniauth/migrations"
	"miniauth/tenants/users"
)

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	log.Info("starting", "version", version, "config", cfg.String())
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	// A second, smaller pool for the statements sent several in one query
	// (a new user's first writes, users.WithBatches); the pool above never
	// accepts more than one statement a query.
	batchesDSN, err := users.BatchesDSN(cfg.MySQLDSN)
	if err != nil {
		return errors.New("MINIAUTH_MYSQL_DSN is not a valid DSN")
	}
	batches, err := openMySQL(ctx, batchesDSN)
	if err != nil {
		return err
	}
	defer batches.Close()
	batches.SetMaxOpenConns(32) // one a new user's login in flight, its session included
	batches.SetMaxIdleConns(32)
	if cfg.AutoMigrate {
		if _, err := migrations.Up(ctx, db.DB, log); err != nil {
			return err
		}
	}
	if cur, want, err := migrations.Check(ctx, db.DB); err != nil {
		return fmt.Errorf("schema version %d, binary needs %d: %w", cur, want, err)
	}
	rdb, err := openRedis(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()

	redis.SetLogger(redisLogger{log})

	reg := newRegistry(db, rdb)
	a := api.Assemble(api.Base{DB: db, Batches: batches, Redis: rdb, Prefix: cfg.RedisPrefix, Keys: cfg.Keys, Logger: log, Metrics: reg,
		Ready: func(ctx context.Context) error {
			if err := db.PingContext(ctx); err != nil {
				return fmt.Errorf("mysql: %w", err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis: %w", err)
			}
			return nil
		}}, cfg.settings())
	defer func() { // after the API (and before MySQL closes): the logins of the drain are written too
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			log.Warn("login history not all written", "err", err)
		}
	}()
	a.Start(ctx) // caches drop what other nodes change
	a.RunBackground(ctx)
	stopRollup := runRollup(ctx, a.Usage, cfg.UsageRollupEvery, log) // the charts of use
	defer stopRollup()
	srv := api.New(a.Deps)
	metrics := a.Metrics

	if cfg.PprofAddr != "" {
		go servePprof(ctx, cfg.PprofAddr, log)
	}
	stopMetrics, err := serveMetrics(cfg.MetricsAddr, metrics.Handler(), log)
	if err != nil {
		return err
	}
	defer func() { // after the API: the drain can still be watched
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopMetrics(ctx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Addr) }()
	log.Info("listening", "addr", cfg.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain_delay", cfg.DrainDelay.String())
	return shutdown(srv, cfg.DrainDelay, log)
}

// shutdown fails readiness first, waits drainDelay for load balancers to
// notice, then lets in-flight requests finish.
func shutdown(srv *api.Server, drainDelay time.Duration, log *slog.Logger) error {
	srv.Drain()
	time.Sleep(drainDelay)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func migrate(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := migrations.Up(ctx, db.DB, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d\n", v)
	return nil
}
