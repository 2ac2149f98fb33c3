// Package signin is the sign-in core: every way into a tenant's account
// goes through one shape — the way in is resolved to an identity (an
// openid from WeChat's answer to a code, a sign-up ticket, web OAuth), the
// tenant's registration policy decides what that identity may do, the
// user is found or registered, a session (and, for the apps, an access
// token) is made in the same transaction, and the user's webhooks and the
// audit log hear of it. Authenticating a session token and revoking
// sessions (one, a user's, a tenant's) live here too.
//
// The HTTP layer parses a request, makes one call here and maps the
// answer. A new way in (SMS, the WeChat app, website QR) is a file here
// that resolves its identity and calls Enter, and one route line in
// api/routes.go.
package signin

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/loginlog"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signup"
	"miniauth/tenants/sms"
	"miniauth/tenants/stats"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
)

// Config is what the sign-in core is built from. Every field is required.
type Config struct {
	Tenants      *tenants.Registry
	Users        *users.Store
	Sessions     *sessions.Store
	AccessTokens *sessions.AccessTokens
	Webhooks     *webhooks.Store
	Audit        *audit.Log
	Logger       *slog.Logger
	PublicURL    string // access tokens' issuers are <PublicURL>/t/<slug>
	// The ways in that call WeChat and keep sign-up tickets (weboauth.go).
	WeChat  *wechat.Client
	Signup  *signup.Store
	Codes   CodeExchanger      // the mini-program's code2session (miniprogram.go)
	Tokens  *tokens.Cache      // WeChat access tokens, for the phone number (phone.go)
	Limiter *ratelimit.Limiter // the identities' login budgets; nil: none
	// The charts of use (stats.go): Stats counts every way in (a
	// stats.Batch, or a stats.Counter that writes each at once), nil none;
	// Cause names a refusal by its documented error code.
	Stats Recorder
	Cause func(error) string
	SMS   *sms.Sender // one-time codes by SMS (sms.go)
	// History hears of every login that worked, for the console's login
	// history (tenants/loginlog); nil: none is kept.
	History *loginlog.Writer
}

// Recorder counts ways in for the charts of use; it never fails a login.
type Recorder interface {
	RecordOrLog(ctx context.Context, log *slog.Logger, e stats.Event)
}

// Service is the sign-in core. It is safe for concurrent use.
type Service struct{ cfg Config }

// New returns the sign-in core.
func New(cfg Config) *Service { return &Service{cfg: cfg} }

// Client is who knocks: the client's address and user agent, kept with
// the session (for the console's session list).
type Client struct {
	IP        string
	UserAgent string
}

// Entry is a way in resolved to an identity: who comes in (Attempt's
// identity, under the tenant's registration policy), and what goes with
// the session.
type Entry struct {
	Attempt    users.Attempt
	SessionKey string // WeChat's session_key, sealed into the session; "" for web OAuth
	Client     Client
	// InTx, when set, runs in the user transaction (a sign-up spends its
	// ticket there): if it fails, nothing is written.
	InTx func() error
	// AccessToken asks for a JWT for the tenant's backend as well, made for
	// the identity that came in.
	AccessToken bool
	// Way is the way in, for the tenant's charts of use (tenants/stats).
	Way stats.Way
	// ByPhone: the identity is Attempt.Phone alone, a number the product
	// verified (SMS, sms.go), not a WeChat identity.
	ByPhone bool
}

// Entered is a way in that worked: the user, whether the attempt made it,
// the new session with its token (which exists nowhere else) and, when
// asked for, an access token.
type Entered struct {
	User        *users.User
	Created     bool
	Token       string
	Session     *sessions.Session
	AccessToken AccessToken
}

// Enter logs the identity in (registering as the policy says) and creates
// the session inside the user transaction: if Redis fails, a new user is
// not written either. An identity the policy does not admit yet is
// users.ErrUnknownIdentity (the caller offers a sign-up ticket); a banned
// user is users.ErrBanned.
func (s *Service) Enter(ctx context.Context, t *tenants.Tenant, e Entry) (in Entered, err error) {
	// What the transaction needs, taken out of e so that e itself stays
	// off the heap (a login is the hot path of every new session).
	inTx, appID, key, client, way := e.InTx, e.Attempt.AppID, e.SessionKey, e.Client, e.Way
	enter := s.cfg.Users.Enter
	if e.ByPhone {
		enter = s.cfg.Users.EnterByPhone
	}
	in.User, in.Created, err = enter(ctx, e.Attempt, func(u *users.User, _ bool) error {
		if u.Banned() {
			return users.ErrBanned
		}
		if inTx != nil {
			if err := inTx(); err != nil {
				return err
			}
		}
		var err error
		in.Token, in.Session, err = s.cfg.Sessions.Create(ctx, sessions.New{
			TenantID: t.ID, UserID: u.ID, AppID: appID, SessionKey: key,
			TenantEpoch: t.SessionEpoch, UserEpoch: u.SessionEpoch,
			Idle: t.Settings.SessionIdle(), Absolute: t.Settings.SessionAbsolute(),
			IP: client.IP, UserAgent: client.UserAgent,
		})
		return err
	})
	if err != nil {
		return Entered{}, err
	}
	if e.AccessToken {
		var appid string
		if app, err := t.AppByID(e.Attempt.AppID); err == nil {
			appid = app.AppID
		}
		if in.AccessToken, err = s.mint(ctx, t, in.Session, in.User, appid, e.Attempt.OpenID); err != nil {
			return Entered{}, err
		}
	}
	s.counted(ctx, t, way, appID, &in)
	if s.cfg.History != nil {
		// Queued, never waited for: a login does not fail for its history.
		s.cfg.History.Note(loginlog.Entry{TenantID: t.ID, UserID: in.User.ID, At: in.Session.IssuedAt, AppID: appID,
			IP: in.Session.IP, Device: in.Session.Device, Way: string(way)})
	}
	return in, nil
}

// Issuer is the iss of a tenant's access tokens: <public URL>/t/<slug>.
func (s *Service) Issuer(t *tenants.Tenant) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/t/" + t.Slug
}

// audit writes an entry outside any other change; one that cannot be
// written is logged at error level (DESIGN §6), never failing the change.
func (s *Service) audit(ctx context.Context, e audit.Entry) {
	if err := s.cfg.Audit.RecordNow(ctx, e); err != nil {
		s.cfg.Logger.Error("audit entry not written", "action", e.Action, "tenant_id", e.TenantID, "err", err)
	}
}

// errIsNotFound is users.ErrNotFound, for a user bound by phone or web
// OAuth who has no identity in an app.
func errIsNotFound(err error) bool { return errors.Is(err, users.ErrNotFound) }
