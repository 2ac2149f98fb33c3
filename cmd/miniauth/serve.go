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
	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/memo"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signup"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/guard"
	"miniauth/tenants/wxerrors"
)

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	if cfg.MasterKey == "" {
		return errors.New("MINIAUTH_MASTER_KEY is required (32 random bytes, base64)")
	}
	keys, err := keyring.New(cfg.MasterKey, cfg.OldMasterKeys...)
	if err != nil {
		return err
	}
	log.Info("starting", "version", version, "config", cfg.String())
	db, err := openMySQL(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.AutoMigrate {
		if _, err := migrations.Up(ctx, db.DB, log); err != nil {
			return err
		}
	}
	if cur, want, err := migrations.Check(ctx, db.DB); err != nil {
		return fmt.Errorf("schema version %d, binary needs %d: %w", cur, want, err)
	}
	rdb, err := openRedis(ctx, cfg.RedisURL, cfg.RedisMaster)
	if err != nil {
		return err
	}
	defer rdb.Close()

	redis.SetLogger(redisLogger{log})

	cache := tenants.NewCache(tenants.NewRegistry(db, keys), rdb, tenants.CacheConfig{Prefix: cfg.RedisPrefix}, log)
	go cache.Listen(ctx)
	reg := newRegistry(db, rdb)
	wx := wechat.New(wechat.Config{BaseURL: cfg.WeChatBaseURL, Observe: guard.CallMetrics(reg)})
	back := newBackends(db, keys, cfg.Backends)
	bus := memo.NewBus(rdb, cfg.RedisPrefix, log) // drops cached users on every node when one changes
	go bus.Listen(ctx)
	userStore := users.NewStore(db)
	userStore.SetEvents(back.webhooks) // webhooks hear of user changes in their transaction
	userStore.CacheOn(bus, users.CacheConfig{TTL: cfg.UserCacheTTL})
	back.apiKeys.CacheOn(bus, cfg.UserCacheTTL)
	back.webhooks.CacheOn(bus, cfg.UserCacheTTL)
	back.run(ctx, log)
	adminStore := admins.NewStore(db)
	adminStore.SetGate(admins.NewGate(cfg.PasswordChecks, admins.DefaultGateWait))
	metrics := api.NewMetrics(reg)
	srv := api.New(api.Deps{
		Metrics: metrics,
		Limiter: ratelimit.New(rdb, cfg.RedisPrefix),
		Codes: guard.New(wx, rdb, guard.Config{KeyPrefix: cfg.RedisPrefix,
			Failures: uint32(cfg.BreakerTrips), OpenFor: cfg.BreakerOpenFor}, reg),
		Tenants:        cache,
		Users:          userStore,
		Sessions:       sessions.NewStore(rdb, cfg.RedisPrefix, keys),
		WeChat:         wx,
		Logger:         log,
		TrustedProxies: cfg.TrustedProxies,
		Admins:         adminStore,
		Console:        admins.NewConsole(rdb, cfg.RedisPrefix, 0, 0),
		Lockout:        admins.NewLockout(rdb, cfg.RedisPrefix, admins.DefaultLockoutPolicy),
		WeChatErrors:   wxerrors.New(rdb, cfg.RedisPrefix),
		Audit:          audit.NewLog(db),
		PublicURL:      cfg.PublicURL,
		APIKeys:        back.apiKeys,
		AccessTokens:   back.tokens,
		Webhooks:       back.webhooks,
		// Registration and the rest of WeChat login (docs/registration.md).
		Tokens:             tokens.New(rdb, cfg.RedisPrefix, wx, tokens.Config{Keys: keys, ForcePerDay: cfg.ForceRefreshes}),
		Signup:             signup.NewStore(rdb, cfg.RedisPrefix, keys),
		WeChatAuthorizeURL: cfg.WeChatAuthURL,
		Ready: func(ctx context.Context) error {
			if err := db.PingContext(ctx); err != nil {
				return fmt.Errorf("mysql: %w", err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("redis: %w", err)
			}
			return nil
		},
	})

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
