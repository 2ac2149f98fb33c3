package signin_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/loginlog"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

const (
	appID  = "wxsignin00001"
	secret = "signin-secret-0123456789"
)

// env is the sign-in core wired as api.Assemble wires it, on the test's
// own database and Redis namespace, against the WeChat simulator over
// HTTP. The sessions store reaches Redis through a proxy the tests can cut.
type env struct {
	db     *sqlx.DB
	rdb    redis.UniversalClient
	prefix string
	redis  *tenantstest.Proxy // between the sessions store and Redis
	// The login history, on MySQL through a proxy of its own; it writes
	// when a test flushes it.
	history   *loginlog.Writer
	historyDB *tenantstest.Proxy
	reg       *tenants.Registry
	users     *users.Store
	signup    *signup.Store
	wx        *wechattest.Server
	svc       *signin.Service
	tenant    *tenants.Tenant
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, dsn := tenantstest.DB(t)
	ring := tenantstest.Keyring(t)
	rdb, prefix := tenantstest.Redis(t)
	e := &env{db: db, rdb: rdb, prefix: prefix, reg: tenants.NewRegistry(db, ring)}

	ropt, err := redis.ParseURL(tenantstest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	e.redis = tenantstest.NewProxy(t, ropt.Addr)
	ropt.Addr = e.redis.Addr()
	ropt.DialTimeout, ropt.ReadTimeout, ropt.WriteTimeout, ropt.PoolTimeout = time.Second, time.Second, time.Second, time.Second
	ropt.MaxRetries = 1
	sessRedis := redis.NewClient(ropt)
	t.Cleanup(func() { sessRedis.Close() })

	e.wx = wechattest.New(wechattest.Options{})
	e.wx.AddApp(appID, secret, "")
	wxHTTP := httptest.NewServer(e.wx.Handler())
	t.Cleanup(wxHTTP.Close)
	wx := wechat.New(wechat.Config{BaseURL: wxHTTP.URL, AttemptTimeout: 5 * time.Second, TotalTimeout: 10 * time.Second})

	hooks := webhooks.NewStore(db, ring, webhooks.Config{AllowPrivate: true})
	e.users = users.NewStore(db, users.WithEvents(hooks))
	e.signup = signup.NewStore(rdb, prefix, ring)
	logger := slog.New(slog.DiscardHandler)
	mcfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	e.historyDB = tenantstest.NewProxy(t, mcfg.Addr)
	mcfg.Addr, mcfg.Timeout = e.historyDB.Addr(), 2*time.Second
	historyDB := sqlx.MustOpen("mysql", mcfg.FormatDSN())
	t.Cleanup(func() { historyDB.Close() })
	e.history = loginlog.New(historyDB, loginlog.Config{FlushEvery: time.Hour, Logger: logger})
	t.Cleanup(func() { _ = e.history.Close(context.Background()) })
	e.svc = signin.New(signin.Config{Tenants: e.reg, Users: e.users,
		Sessions:     sessions.NewStore(sessRedis, prefix, ring),
		AccessTokens: sessions.NewAccessTokens(sessions.NewSigningKeys(db, ring, sessions.KeyPolicy{}, nil)),
		Webhooks:     hooks, Audit: audit.NewLog(db), Logger: logger, PublicURL: "https://auth.example",
		WeChat: wx, Signup: e.signup, Codes: wx,
		Tokens: tokens.New(rdb, prefix, wx, tokens.Config{Keys: ring}), History: e.history})

	if e.tenant, err = e.reg.Create(context.Background(), tenants.NewTenant{Slug: "signin", Name: "Sign-in",
		AppID: appID, Secret: secret, Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	// The tenant has every login's answer carry an access token (new
	// tenants start without; api.TestAccessTokenOnLoginSetting has both).
	on := true
	e.tenant.Settings.AccessTokenOnLogin = &on
	return e
}

// withPolicy is the tenant with another registration policy.
func (e *env) withPolicy(policy string) *tenants.Tenant {
	t := *e.tenant
	t.Settings.Registration = policy
	return &t
}

// code is what wx.login would give user on the phone.
func (e *env) code(t *testing.T, user string) string {
	t.Helper()
	c, err := e.wx.IssueCode(appID, user)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// count runs a COUNT(*) query.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// usersOf counts the tenant's users.
func (e *env) usersOf(t *testing.T) int {
	t.Helper()
	return e.count(t, `SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID)
}

// sessionsIn counts the tenant's session records in Redis (v3 records are :S:, older ones :s:).
func (e *env) sessionsIn(t *testing.T) int {
	t.Helper()
	keys, err := tenantstest.Keys(context.Background(), e.rdb, e.prefix+":t:"+itoa(e.tenant.ID)+":[sS]:*")
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

// attempt is a mini-program identity of the tenant coming in.
func (e *env) attempt(tn *tenants.Tenant, openid string) users.Attempt {
	return users.Attempt{Login: users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: openid},
		Policy: tn.Settings.RegistrationPolicy()}
}

var client = signin.Client{IP: "203.0.113.7", UserAgent: "signin-test"}
