package api

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/loginlog"
	"miniauth/tenants/memo"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/sms"
	"miniauth/tenants/stats"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/guard"
	"miniauth/tenants/wxerrors"
)

// Base is what the API is assembled on: the connections, the master keys
// and where its series go. serve, the API tests and the benchmarks build
// their Deps from one through Assemble, so that they run what production
// runs.
type Base struct {
	DB *sqlx.DB
	// Batches is a second pool to the same database whose connections
	// take several statements in one query (users.BatchesDSN), for a new
	// user's one-round-trip writes (users.WithBatches); nil: those writes
	// take a round trip a statement over DB.
	Batches *sqlx.DB
	Redis   redis.UniversalClient
	Prefix  string // every Redis key starts with it, e.g. "ma"
	Keys    *keyring.Ring
	Logger  *slog.Logger
	Metrics *prometheus.Registry // the API's collectors, WeChat's calls and breakers
	// Now is the clock of what keeps time in Redis and MySQL (access
	// tokens, signing keys); nil: time.Now. Tests move it.
	Now func() time.Time
	// Ready reports whether MySQL and Redis answer; default: a ping of each.
	Ready func(ctx context.Context) error
}

// Settings are the tunables of an assembly, from the configuration; the
// zero value of each is its package's default.
type Settings struct {
	WeChat             wechat.Config // Observe is set here (Base.Metrics)
	WeChatAuthorizeURL string        // where browsers authorize web OAuth
	PublicURL          string
	TrustedProxies     []netip.Prefix
	CacheTTL           time.Duration // users, API keys and webhook endpoints in memory
	UserCacheMax       int           // users kept in memory per node; 0: users.CacheConfig's default
	TenantCache        tenants.CacheConfig
	PasswordChecks     int                  // console bcrypt checks at once; 0: 2×GOMAXPROCS
	AdminGate          *admins.Gate         // the console's password checks; nil: one of PasswordChecks slots
	AdminLockout       admins.LockoutPolicy // the console's sign-in lockout; zero: admins.DefaultLockoutPolicy
	Breaker            guard.Config         // KeyPrefix is set here
	ForceRefreshes     int                  // forced access-token refreshes per app and day
	SigningKeys        sessions.KeyPolicy
	Webhooks           webhooks.Config
	RequestTimeout     time.Duration
	SMS                sms.Endpoints   // where the SMS providers are; the real services when empty
	LoginHistory       loginlog.Config // Logger, Metrics and Now are set here
	UsageFlushEvery    time.Duration   // how often the usage counts go to Redis; 0: stats.DefaultEvery
	LoginTouchEvery    time.Duration   // how often returning logins' times go to MySQL; 0: 200 ms
}

// Assembly is an API's dependencies, and the background work they need.
type Assembly struct {
	Deps
	Bus *memo.Bus // carries cache invalidations between nodes
}

// Assemble builds every store and service the API uses, each complete
// from its constructor. Start makes the caches hear of changes on other
// nodes.
func Assemble(b Base, s Settings) *Assembly {
	if b.Metrics == nil {
		b.Metrics = prometheus.NewRegistry()
	}
	if b.Ready == nil {
		db, rdb := b.DB, b.Redis
		b.Ready = func(ctx context.Context) error {
			if err := db.PingContext(ctx); err != nil {
				return err
			}
			return rdb.Ping(ctx).Err()
		}
	}
	rdb, prefix, keys := b.Redis, b.Prefix, b.Keys
	if s.AdminGate == nil {
		s.AdminGate = admins.NewGate(s.PasswordChecks, admins.DefaultGateWait)
	}
	s.WeChat.Observe = guard.CallMetrics(b.Metrics)
	wx := wechat.New(s.WeChat)
	s.Breaker.KeyPrefix = prefix
	bus := memo.NewBus(rdb, prefix, b.Logger)
	counter := stats.NewCounter(rdb, prefix) // the charts of use (usage.go)
	if b.Now != nil {
		counter.SetClock(b.Now) // days turn over by the tests' clock too
	}
	events := stats.NewBatch(counter, b.Logger, s.UsageFlushEvery) // its goroutine runs until Close
	s.LoginHistory.Logger, s.LoginHistory.Metrics = b.Logger, b.Metrics
	if b.Now != nil {
		s.LoginHistory.Now = b.Now // the retention counts by the tests' clock
	}
	history := loginlog.New(b.DB, s.LoginHistory) // its goroutine runs until Close
	hooks := webhooks.NewStore(b.DB, keys, s.Webhooks, webhooks.WithCache(bus, orTTL(s.CacheTTL)))
	a := &Assembly{Bus: bus, Deps: Deps{
		Tenants: tenants.NewRegistry(b.DB, keys, tenants.WithCache(bus, s.TenantCache)),
		// Webhooks hear of user changes in their transaction; returning
		// logins' times are written in batches, until Close.
		Users: users.NewStore(b.DB, users.WithEvents(hooks),
			users.WithCache(bus, users.CacheConfig{TTL: s.CacheTTL, MaxUsers: s.UserCacheMax}),
			users.WithBatchedTouches(s.LoginTouchEvery, b.Logger), users.WithBatches(b.Batches)),
		Sessions:       sessions.NewStore(rdb, prefix, keys),
		WeChat:         wx,
		Codes:          guard.New(wx, rdb, s.Breaker, b.Metrics),
		Limiter:        ratelimit.New(rdb, prefix),
		Metrics:        NewMetrics(b.Metrics),
		Logger:         b.Logger,
		Ready:          b.Ready,
		TrustedProxies: s.TrustedProxies,
		RequestTimeout: s.RequestTimeout,

		Admins:       admins.NewStore(b.DB, admins.WithGate(s.AdminGate)),
		Console:      admins.NewConsole(rdb, prefix, 0, 0),
		Lockout:      admins.NewLockout(rdb, prefix, orLockout(s.AdminLockout)),
		WeChatErrors: wxerrors.New(rdb, prefix),
		Audit:        audit.NewLog(b.DB),
		PublicURL:    s.PublicURL,

		Tokens:             tokens.New(rdb, prefix, wx, tokens.Config{Keys: keys, ForcePerDay: s.ForceRefreshes, Now: b.Now}),
		Signup:             signup.NewStore(rdb, prefix, keys),
		WeChatAuthorizeURL: s.WeChatAuthorizeURL,

		APIKeys:      apikeys.NewStore(b.DB, apikeys.WithCache(bus, orTTL(s.CacheTTL))),
		AccessTokens: sessions.NewAccessTokens(sessions.NewSigningKeys(b.DB, keys, s.SigningKeys, b.Now, sessions.WithKeyCache(bus))),
		Webhooks:     hooks,
		Usage:        stats.NewStore(b.DB, counter),
		SMS:          sms.NewStore(b.DB, keys),
		LoginHistory: history, UsageEvents: events,
	}}
	a.MFA = admins.NewMFA(b.DB, admins.MFAConfig{Keys: keys, Lockout: a.Lockout, Now: b.Now})
	a.AdminSignIn = admins.NewSignIn(admins.SignInConfig{Admins: a.Admins, MFA: a.MFA, Lockout: a.Lockout,
		Redis: rdb, Prefix: prefix, Logger: b.Logger, Now: b.Now})
	a.Accounts = admins.NewAccounts(a.Admins, admins.AccountsConfig{Console: a.Console, Lockout: a.Lockout, MFA: a.MFA, Now: b.Now})
	a.Platform = admins.NewSettings(b.DB)
	sender := sms.NewSender(sms.SenderConfig{Settings: a.SMS, Codes: sms.NewCodes(rdb, prefix, keys.DeriveKey("sms-code")),
		Budgets: sms.NewBudgets(rdb, prefix, b.Now), Endpoints: s.SMS, Logger: b.Logger})
	a.SignIn = signin.New(signin.Config{Tenants: a.Tenants, Users: a.Users, Sessions: a.Sessions,
		AccessTokens: a.AccessTokens, Webhooks: hooks, Audit: a.Audit, Logger: b.Logger, PublicURL: s.PublicURL,
		WeChat: wx, Signup: a.Signup, Codes: a.Codes, Tokens: a.Tokens, Limiter: a.Limiter,
		SMS: sender, Stats: events, Cause: FailureCause, History: history})
	return a
}

// Start makes the caches hear of changes made on other nodes, until ctx
// ends; Listening tells when they do.
func (a *Assembly) Start(ctx context.Context) {
	go a.Bus.Listen(ctx)
}

// Listening reports whether the caches hear of other nodes' changes.
func (a *Assembly) Listening() bool { return a.Bus.Listening() }

// RunBackground runs what a serving node does besides requests, until
// ctx ends: scheduled signing key rotation and webhook delivery.
func (a *Assembly) RunBackground(ctx context.Context) {
	go a.AccessTokens.Keys().RunRotation(ctx, time.Hour, a.Logger)
	go a.Webhooks.Run(ctx, a.Logger)
}

// Close writes the login history, the usage counts and the returning
// logins' times still queued and stops their writers; serve calls it once
// the API has stopped taking requests.
func (a *Assembly) Close(ctx context.Context) error {
	return errors.Join(a.LoginHistory.Close(ctx), a.UsageEvents.Close(ctx), a.Users.Close(ctx))
}

func orLockout(p admins.LockoutPolicy) admins.LockoutPolicy {
	if p == (admins.LockoutPolicy{}) {
		return admins.DefaultLockoutPolicy
	}
	return p
}

func orTTL(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Minute
	}
	return d
}
