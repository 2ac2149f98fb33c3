package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/valyala/fasthttp"

	"miniauth/api"
	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

// benchAPI is the API wired as `miniauth serve` wires it (rate limits,
// metrics, the code guard, JSON logs through the redactor), with the
// simulator in process over HTTP. Requests go straight to the Fiber
// handler, so the figures are the server's own work per request: the
// network and the load generator are mabench's business.
type benchAPI struct {
	handler fasthttp.RequestHandler
	wx      *wechattest.Server
	tenant  *tenants.Tenant
	users   *users.Store
	sess    *sessions.Store
	apiKey  string
}

func newBenchAPI(b *testing.B) *benchAPI {
	b.Helper()
	db, dsn := tenantstest.DB(b)
	batchesDSN, err := users.BatchesDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	batches := sqlx.MustOpen("mysql", batchesDSN)
	b.Cleanup(func() { batches.Close() })
	rdb, prefix := tenantstest.Redis(b)
	keys := tenantstest.Keyring(b)
	wx := wechattest.New(wechattest.Options{UserPerMinute: -1})
	wx.AddApp(demoAppID, demoSecret, "")
	wxHTTP := httptest.NewServer(wx.Handler())
	b.Cleanup(wxHTTP.Close)

	reg := tenants.NewRegistry(db, keys)
	t, err := reg.Create(context.Background(), tenants.NewTenant{Slug: "acme", Name: "Acme",
		AppID: demoAppID, Secret: demoSecret, Actor: audit.CLI})
	if err != nil {
		b.Fatal(err)
	}
	// One loopback address and one user would spend the login budgets at
	// once; the limiter still runs on every request.
	const big = 1_000_000
	settings := tenants.Settings{RateLimits: ratelimit.Limits{LoginPerTenantPerSecond: big,
		LoginPerIPPerMinute: big, LoginPerIdentityPerMinute: big, SessionPerTokenPerMinute: big, APIKeyPerSecond: big}}
	if err := reg.Update(context.Background(), t.ID, tenants.Update{Settings: &settings, Actor: audit.CLI}); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(api.Redact(slog.NewJSONHandler(io.Discard, nil)))
	// Wired as serve wires it (api.Assemble).
	a := api.Assemble(api.Base{DB: db, Batches: batches, Redis: rdb, Prefix: prefix, Keys: keys, Logger: logger,
		Ready: func(context.Context) error { return nil }},
		api.Settings{WeChat: wechat.Config{BaseURL: wxHTTP.URL}, TenantCache: tenants.CacheConfig{TTL: time.Minute}})
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	a.Start(ctx)
	for deadline := time.Now().Add(5 * time.Second); !a.Listening(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the cache bus did not subscribe within 5s")
		}
	}
	ba := &benchAPI{wx: wx, users: a.Users, sess: a.Sessions}
	keyStore := a.APIKeys
	srv := api.New(a.Deps)
	ba.handler = srv.App().Handler()
	if ba.tenant, err = reg.BySlug(context.Background(), "acme"); err != nil {
		b.Fatal(err)
	}
	if ba.apiKey, _, err = keyStore.Create(context.Background(), t.ID, "bench", audit.CLI); err != nil {
		b.Fatal(err)
	}
	return ba
}

var benchAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

// do runs one request through the handler and returns its status.
func (ba *benchAPI) do(ctx *fasthttp.RequestCtx, method, path, auth string, body []byte) int {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.Set("User-Agent", "bench")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	ctx.Init(&req, benchAddr, nil)
	ba.handler(ctx)
	return ctx.Response.StatusCode()
}

// login logs user in through the handler and returns the session token.
func (ba *benchAPI) login(b *testing.B, ctx *fasthttp.RequestCtx, user string) string {
	code, err := ba.wx.IssueCode(demoAppID, user)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"code":"` + code + `"}`)
	if st := ba.do(ctx, "POST", "/t/acme/login", "", body); st != 200 {
		b.Fatalf("login: %d %s", st, ctx.Response.Body())
	}
	var out struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &out); err != nil {
		b.Fatal(err)
	}
	return out.Session
}

// BenchmarkMe is GET /t/{tenant}/me with a valid session: the session GET
// and PTTL, the per-token rate budget, the user's row, the JSON.
func BenchmarkMe(b *testing.B) {
	ba := newBenchAPI(b)
	var ctx fasthttp.RequestCtx
	auth := "Bearer " + ba.login(b, &ctx, "bench-me")
	b.ReportAllocs()
	for b.Loop() {
		if st := ba.do(&ctx, "GET", "/t/acme/me", auth, nil); st != 200 {
			b.Fatalf("me: %d %s", st, ctx.Response.Body())
		}
	}
}

// BenchmarkMeUnknownToken is /me with a well-formed token that has no
// session: what a stale client costs.
func BenchmarkMeUnknownToken(b *testing.B) {
	ba := newBenchAPI(b)
	var ctx fasthttp.RequestCtx
	auth := "Bearer mas_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // a v3 token: 44 characters
	b.ReportAllocs()
	for b.Loop() {
		if st := ba.do(&ctx, "GET", "/t/acme/me", auth, nil); st != 401 {
			b.Fatalf("me: %d %s", st, ctx.Response.Body())
		}
	}
}

// BenchmarkIntrospect is POST /t/{tenant}/introspect of a session token
// with the tenant's API key.
func BenchmarkIntrospect(b *testing.B) {
	ba := newBenchAPI(b)
	var ctx fasthttp.RequestCtx
	token := ba.login(b, &ctx, "bench-introspect")
	auth := "Bearer " + ba.apiKey
	body := []byte(`{"token":"` + token + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if st := ba.do(&ctx, "POST", "/t/acme/introspect", auth, body); st != 200 {
			b.Fatalf("introspect: %d %s", st, ctx.Response.Body())
		}
	}
}

// BenchmarkLogin is POST /t/{tenant}/login with a fresh code: the code
// guard, code2session with the simulator over loopback HTTP, the user
// transaction with the session created inside it. Half the logins are
// of a returning user, half of a new one.
func BenchmarkLogin(b *testing.B) {
	ba := newBenchAPI(b)
	var ctx fasthttp.RequestCtx
	ba.login(b, &ctx, "returning")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		user := "returning"
		if i%2 == 1 {
			user = "new-" + strconv.Itoa(i)
		}
		i++
		b.StopTimer()
		code, err := ba.wx.IssueCode(demoAppID, user)
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"code":"` + code + `"}`)
		b.StartTimer()
		if st := ba.do(&ctx, "POST", "/t/acme/login", "", body); st != 200 {
			b.Fatalf("login: %d %s", st, ctx.Response.Body())
		}
	}
}
