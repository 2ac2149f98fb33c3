// Package api is miniauth's HTTP surface: the Fiber app, its routes,
// middleware, handlers, and the one mapping from domain errors to the JSON
// error envelope. It is the only package that knows HTTP.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/loginlog"
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
	"miniauth/tenants/wxerrors"
)

// BodyLimit is the largest request body accepted (docs/api.md, conventions).
const BodyLimit = 64 * 1024

// Deps are what the API is built from. Every field is required except
// TrustedProxies.
type Deps struct {
	Tenants *tenants.Registry // Lookup serves the request path from memory
	// SignIn is every way in, authentication and revocation (tenants/signin).
	SignIn   *signin.Service
	Users    *users.Store
	Sessions *sessions.Store
	WeChat   *wechat.Client
	Logger   *slog.Logger
	// Ready reports whether MySQL and Redis answer; /readyz calls it.
	Ready func(ctx context.Context) error
	// TrustedProxies are the proxies (addresses or ranges) whose
	// X-Forwarded-For entries are believed; other peers' header is ignored
	// (clientaddr.go).
	TrustedProxies []netip.Prefix
	// Codes exchanges login codes with WeChat. Normally the guard (single
	// use across nodes, circuit breaker); WeChat itself when nil.
	Codes CodeExchanger
	// Limiter, when set, enforces the tenants' rate budgets.
	Limiter *ratelimit.Limiter
	// Metrics, when set, are fed by every request; serve them with
	// Metrics.Handler on a private address.
	Metrics *Metrics
	// RequestTimeout bounds a whole request (default 15s).
	RequestTimeout time.Duration

	// The admin API and console (/admin/api/, /console/).
	Admins  *admins.Store
	Console *admins.Console // console sign-ins (Redis)
	Lockout *admins.Lockout // sign-in failure counting (Redis)
	// Console sign-in in one or two steps, admin accounts, TOTP MFA and
	// the platform's settings (admin_signin_mfa.go, admin_accounts.go,
	// admin_mfa.go).
	AdminSignIn  *admins.SignIn
	MFA          *admins.MFA
	Accounts     *admins.Accounts
	Platform     *admins.Settings
	WeChatErrors *wxerrors.Log
	Audit        *audit.Log // the audit lines written outside other changes, and the console's audit view
	// PublicURL: when it is https, the console cookie is Secure even if TLS
	// ends at a proxy. Web OAuth callbacks are built on it too.
	PublicURL string

	// Registration and the rest of WeChat login (docs/registration.md).
	Tokens *tokens.Cache // WeChat access tokens shared by every node
	Signup *signup.Store // sign-up tickets and web OAuth states
	// WeChatAuthorizeURL is where browsers authorize web OAuth (default
	// open.weixin.qq.com; the simulator serves one too).
	WeChatAuthorizeURL string

	// Tenant backends (backend.go, docs/backends.md): API keys, JWT access
	// tokens with their signing keys, webhooks.
	APIKeys      *apikeys.Store
	AccessTokens *sessions.AccessTokens
	Webhooks     *webhooks.Store

	// Usage answers the charts of use (usage.go); the sign-in core counts
	// into it. Its rollup (Usage.Run) is serve's to start.
	Usage *stats.Store
	// SMS one-time codes (sms.go, docs/sms.md): the tenants' settings (the
	// codes and budgets are the sign-in core's).
	SMS *sms.Store
	// LoginHistory is the users' logins in MySQL (tenants/loginlog): the
	// sign-in core notes them, the console reads them.
	LoginHistory *loginlog.Writer
	// UsageEvents gathers the sign-in core's counts for Usage and sends
	// them to Redis together (tenants/stats.Batch).
	UsageEvents *stats.Batch
}

// CodeExchanger is what login needs of WeChat: code2session.
type CodeExchanger interface {
	Code2Session(ctx context.Context, appid, secret, code string) (wechat.Session, error)
}

// Server is the HTTP API.
type Server struct {
	app       *fiber.App
	deps      Deps
	log       *slog.Logger
	access    slog.Handler // the access log's handler: the logger's, below the redactor (accessLog)
	draining  chan struct{}
	drainOnce sync.Once
	ln        atomic.Pointer[listener] // set by Listen
}

// New builds the Fiber app with its routes.
func New(d Deps) *Server {
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 15 * time.Second
	}
	if d.Codes == nil {
		d.Codes = d.WeChat
	}
	s := &Server{deps: d, log: d.Logger, access: unredacted(d.Logger.Handler()), draining: make(chan struct{})}
	cfg := fiber.Config{
		AppName: "miniauth",
		// The server reads bodies up to 2 MiB so that a client sending a bit
		// too much gets a clean 413 envelope (limitBody: 64 KiB, 1 MiB for
		// avatars) rather than a reset connection; beyond that fasthttp cuts
		// it off.
		BodyLimit:             2 * AvatarBodyLimit,
		ReadBufferSize:        16 * 1024, // request line and headers
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
	}
	if len(d.TrustedProxies) > 0 {
		// Only for Fiber's reading of X-Forwarded-Proto (secureCookies).
		// No ProxyHeader: c.IP() would be the client's own words; the
		// client's address is clientIP's (clientaddr.go).
		cfg.EnableTrustedProxyCheck = true
		for _, p := range d.TrustedProxies {
			cfg.TrustedProxies = append(cfg.TrustedProxies, p.String())
		}
	}
	s.app = fiber.New(cfg)
	s.routes()
	return s
}

// App exposes the Fiber app, for tests (app.Test) and for listening.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen(s.app.Config().Network, addr)
	if err != nil {
		return err
	}
	l := newListener(ln)
	s.ln.Store(l)
	return s.app.Listener(l)
}

// Shutdown stops taking new requests, makes /readyz fail so that load
// balancers stop sending traffic, and waits for in-flight requests up to
// the context's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	if l := s.ln.Load(); l != nil {
		l.closeFresh() // connections without a request would hold it (conns.go)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return s.app.Shutdown()
	}
	err := s.app.ShutdownWithTimeout(time.Until(deadline))
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("api: shutdown timed out with requests in flight")
	}
	return err
}

// Drain makes /readyz answer 503 while the server still serves, so that a
// load balancer stops sending new requests before Shutdown.
func (s *Server) Drain() {
	s.drainOnce.Do(func() { close(s.draining) })
}
