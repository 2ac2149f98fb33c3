package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"miniauth/api"
	"miniauth/tenants"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/sessions"
	"miniauth/tenants/sms"
	"miniauth/tenants/sms/smstest"
	"miniauth/tenants/stats"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/users"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/guard"
	"miniauth/tenants/wechat/wechattest"
)

const (
	demoAppID  = "wxacme00000001"
	demoSecret = "acme-app-secret-0123456789"
	otherAppID = "wxother0000001"
)

// env is one API under test with its own database, Redis namespace and
// WeChat simulator (reached over HTTP).
type env struct {
	t      *testing.T
	srv    *api.Server
	db     *sqlx.DB
	rdb    redis.UniversalClient
	prefix string
	wx     *wechattest.Server
	clock  *clock
	reg    *tenants.Registry // the API's: its changes reach the API's cache
	tenant *tenants.Tenant
	logs   *tenantstest.SyncBuffer
	base   string // the API's real HTTP address
	// mysqlProxy and redisProxy stand between the API and the real
	// services, so a test can take them down.
	mysqlProxy, redisProxy *tenantstest.Proxy
	// Tenant backends (backend_env_test.go).
	apiKeys *apikeys.Store
	tokens  *sessions.AccessTokens
	hooks   *webhooks.Store // the tests deliver with hooks.DeliverDue
	users   *users.Store
	usage   *stats.Store // the API's charts: a read sends this node's waiting counts first
	keys    *keyring.Ring
	metrics *api.Metrics // served on their own address in production (metrics(t, e) reads them)
	// The SMS simulator (both providers), over HTTP; no tenant has SMS
	// settings until a test gives it some (sms_env_test.go).
	sms    *smstest.Server
	smsURL string
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newEnv starts an API; opts may change its dependencies before it starts.
func newEnv(t *testing.T, opts ...func(*api.Deps)) *env {
	t.Helper()
	return newTunedEnv(t, nil, opts...)
}

// newTunedEnv is newEnv with tune changing what it is assembled from.
func newTunedEnv(t *testing.T, tune func(*api.Base, *api.Settings), opts ...func(*api.Deps)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{now: time.Now()}, logs: &tenantstest.SyncBuffer{}}
	db, dsn := tenantstest.DB(t)
	e.db = db
	// The API reaches MySQL and Redis through proxies that tests can cut.
	cfg, _ := mysql.ParseDSN(dsn)
	e.mysqlProxy = tenantstest.NewProxy(t, cfg.Addr)
	cfg.Addr = e.mysqlProxy.Addr()
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	apiDB := sqlx.MustOpen("mysql", cfg.FormatDSN())
	t.Cleanup(func() { apiDB.Close() })
	batchesDSN, err := users.BatchesDSN(cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	batchesDB := sqlx.MustOpen("mysql", batchesDSN)
	t.Cleanup(func() { batchesDB.Close() })

	rdb, prefix := tenantstest.Redis(t)
	e.rdb, e.prefix = rdb, prefix
	ropt, _ := redis.ParseURL(tenantstest.RedisURL())
	e.redisProxy = tenantstest.NewProxy(t, ropt.Addr)
	ropt.Addr = e.redisProxy.Addr()
	ropt.DialTimeout, ropt.ReadTimeout, ropt.WriteTimeout, ropt.PoolTimeout = time.Second, time.Second, time.Second, time.Second
	ropt.MaxRetries = 1
	apiRedis := redis.NewClient(ropt)
	t.Cleanup(func() { apiRedis.Close() })

	e.wx = wechattest.New(wechattest.Options{Now: e.clock.Now})
	e.wx.AddApp(demoAppID, demoSecret, "")
	e.wx.AddApp(otherAppID, "other-app-secret-0123456789", "")
	wxHTTP := httptest.NewServer(e.wx.Handler())
	t.Cleanup(wxHTTP.Close)
	e.sms = smstest.New(smstest.Options{})
	smsHTTP := httptest.NewServer(e.sms.Handler())
	t.Cleanup(smsHTTP.Close)
	e.smsURL = smsHTTP.URL

	keys := tenantstest.Keyring(t)
	e.keys = keys
	logger := slog.New(api.Redact(slog.NewJSONHandler(io.MultiWriter(e.logs, &suiteLogs), &slog.HandlerOptions{Level: slog.LevelDebug})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Wired as serve wires it (api.Assemble); users, API keys and webhook
	// endpoints are served from memory, as in production: every change
	// made through a store is announced on the bus (tenants/memo).
	settings := api.Settings{
		// Timeouts long enough that a slow or starved machine never times
		// out a healthy simulator; the stall tests stall it for longer.
		WeChat: wechat.Config{BaseURL: wxHTTP.URL,
			AttemptTimeout: 2 * time.Second, TotalTimeout: 4 * time.Second, RetryDelay: 10 * time.Millisecond},
		WeChatAuthorizeURL: wxHTTP.URL,
		PublicURL:          "http://" + ln.Addr().String(),
		TenantCache:        tenants.CacheConfig{TTL: time.Minute},
		Breaker:            guard.Config{Failures: 1000},
		Webhooks:           webhooks.Config{AllowPrivate: true}, // the tests deliver with hooks.DeliverDue
		SMS:                sms.Endpoints{Tencent: smsHTTP.URL, Aliyun: smsHTTP.URL, Timeout: 5 * time.Second},
	}
	base := api.Base{DB: apiDB, Batches: batchesDB, Redis: apiRedis, Prefix: prefix, Keys: keys, Logger: logger, Now: e.clock.Now}
	if tune != nil {
		tune(&base, &settings)
	}
	a := api.Assemble(base, settings)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.Start(ctx)
	for deadline := time.Now().Add(5 * time.Second); !a.Listening(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cache bus did not subscribe within 5s")
		}
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) }) // before the pools close: cleanups run last first
	e.reg, e.apiKeys, e.tokens, e.hooks, e.users = a.Tenants, a.APIKeys, a.AccessTokens, a.Webhooks, a.Users
	e.usage = a.Usage
	deps := a.Deps
	for _, opt := range opts {
		opt(&deps)
	}
	e.metrics = deps.Metrics
	e.srv = api.New(deps)
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().ShutdownWithTimeout(5 * time.Second) })
	e.base = "http://" + ln.Addr().String()

	tn, err := tenants.NewRegistry(db, keys).Create(context.Background(), tenants.NewTenant{
		Slug: "acme", Name: "Acme", AppID: demoAppID, Secret: demoSecret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	e.tenant = e.tokensOnLogin(tn)
	return e
}

// tokensOnLogin makes tn a tenant whose every login's answer carries an
// access token, as acme and globex are (new tenants start without:
// TestAccessTokenOnLoginSetting), and returns it so.
func (e *env) tokensOnLogin(tn *tenants.Tenant) *tenants.Tenant {
	e.t.Helper()
	if _, err := e.db.Exec(`UPDATE tenants SET settings = JSON_SET(settings, '$.access_token_on_login', true) WHERE id = ?`, tn.ID); err != nil {
		e.t.Fatal(err)
	}
	e.reg.Invalidate(context.Background(), tn.Slug)
	on := true
	tn.Settings.AccessTokenOnLogin = &on
	return tn
}

// code is what wx.login would give user on the phone.
func (e *env) code(user string) string {
	e.t.Helper()
	c, err := e.wx.IssueCode(demoAppID, user)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(c, "code")
	return c
}

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
	t      testing.TB // fails the test where the body is not the shape asked for (at)
}

// at walks the JSON body along keys (object fields), failing the test,
// never panicking, where the body differs; obj, list, str and num
// also check the type of what they find.
func (r response) at(keys ...string) any {
	r.t.Helper()
	var v any = r.Body
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			r.t.Fatalf("body: %s is not an object: %s", strings.Join(keys[:i], "."), r.Raw)
		}
		if v, ok = m[k]; !ok {
			r.t.Fatalf("body: no %s: %s", strings.Join(keys[:i+1], "."), r.Raw)
		}
	}
	return v
}

func (r response) obj(keys ...string) map[string]any {
	r.t.Helper()
	return as[map[string]any](r, keys)
}
func (r response) list(keys ...string) []any  { r.t.Helper(); return as[[]any](r, keys) }
func (r response) str(keys ...string) string  { r.t.Helper(); return as[string](r, keys) }
func (r response) num(keys ...string) float64 { r.t.Helper(); return as[float64](r, keys) }

// get walks v (decoded JSON) along keys like response.at, and checks the
// type of what it finds.
func get[T any](t testing.TB, v any, keys ...string) T {
	t.Helper()
	return as[T](response{Body: map[string]any{"": v}, Raw: fmt.Sprint(v), t: t}, append([]string{""}, keys...))
}

func as[T any](r response, keys []string) T {
	r.t.Helper()
	v, ok := r.at(keys...).(T)
	if !ok {
		r.t.Fatalf("body: %s is not a %T: %s", strings.Join(keys, "."), *new(T), r.Raw)
	}
	return v
}

// errCode is the "error.code" of an error envelope, or "".
func (r response) errCode() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		code, _ := e["code"].(string)
		return code
	}
	return ""
}

func (e *env) do(method, path, body string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	rememberJSON(body)
	rememberJSON(string(raw))
	r := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw), t: e.t}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %q", method, path, raw)
		}
	}
	if r.Status >= 400 {
		env, _ := r.Body["error"].(map[string]any)
		if env == nil || env["code"] == "" || env["message"] == "" || env["request_id"] == "" {
			e.t.Fatalf("%s %s: %d without the error envelope: %s", method, path, r.Status, raw)
		}
	}
	return r
}

var httpClient = &http.Client{Timeout: 20 * time.Second}

// login logs user in and returns the session token.
func (e *env) login(user string) string {
	e.t.Helper()
	r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(user)+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.Status, r.Raw)
	}
	remember(e.wx.SessionKey(demoAppID, user), "session_key")
	return r.str("session")
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// count runs a COUNT(*) query on the test's database.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, query, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// sessionKeys counts the tenant's session records in Redis.
func (e *env) sessionKeys() int {
	e.t.Helper()
	keys, err := e.rdb.Keys(context.Background(), e.prefix+":t:*:[sS]:*").Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return len(keys)
}

// state is what a request may change; scenarios compare it before and after.
type state struct{ users, identities, sessions int }

func (e *env) state() state {
	return state{users: e.count("SELECT COUNT(*) FROM users"),
		identities: e.count("SELECT COUNT(*) FROM identities"), sessions: e.sessionKeys()}
}
