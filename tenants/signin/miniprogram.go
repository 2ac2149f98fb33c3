package signin

import (
	"context"
	"errors"

	"miniauth/tenants"
	"miniauth/tenants/signup"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

// ErrPhoneTooLate: WeChat answered the login too slowly to spend its
// phone code safely; the code was not used.
var ErrPhoneTooLate = errors.New("signin: too little time left to verify the phone number")

// CodeExchanger is what the mini-program's way in needs of WeChat:
// code2session (normally the code guard: single use across nodes, a
// circuit breaker).
type CodeExchanger interface {
	Code2Session(ctx context.Context, appid, secret, code string) (wechat.Session, error)
}

// MiniProgramLogin is a mini-program's wx.login code, with optionally the
// AppID of another of the tenant's mini-programs and the getPhoneNumber
// button's code, bound in the same step.
type MiniProgramLogin struct {
	Code      string
	AppID     string
	PhoneCode string
}

// LoginResult is a mini-program login that worked: the way in, or a
// sign-up Ticket for an identity the tenant's policy does not admit yet.
// PhoneErr says why PhoneCode was not bound; the login stands.
type LoginResult struct {
	Entered
	Ticket   string
	PhoneErr error
}

// MiniProgram is the mini-program's way in (DESIGN §1): the code is
// exchanged with WeChat for the identity, the identity's own login budget
// is spent, and it enters under the registration policy
// (docs/registration.md). A phone code is exchanged only once the login
// stands — unless the number decides who this is (existing_only) or goes
// with the sign-up ticket — and every WeChat call gets what is left of the
// request's time, less a margin to answer.
func (s *Service) MiniProgram(ctx context.Context, t *tenants.Tenant, req MiniProgramLogin, c Client) (res LoginResult, err error) {
	app, err := t.MiniProgram(req.AppID)
	if err != nil {
		s.refused(ctx, t, stats.WayMiniProgram, 0, err)
		return LoginResult{}, err
	}
	defer func() { s.refused(ctx, t, stats.WayMiniProgram, app.ID, err) }()
	secret, err := s.cfg.Tenants.Secret(app)
	if err != nil {
		return LoginResult{}, err
	}
	wctx, cancel := WeChatBudget(ctx)
	defer cancel()
	ws, err := s.cfg.Codes.Code2Session(wctx, app.AppID, secret, req.Code)
	if err != nil {
		return LoginResult{}, err
	}
	if s.cfg.Limiter != nil {
		if err := s.cfg.Limiter.Identity(ctx, t.ID, app.ID, ws.OpenID, t.Settings.RateLimits); err != nil {
			return LoginResult{}, err
		}
	}
	a := users.Attempt{Login: users.Login{TenantID: t.ID, AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID},
		Policy: t.Settings.RegistrationPolicy()}
	e := Entry{Attempt: a, SessionKey: ws.SessionKey, Client: c, AccessToken: t.Settings.AccessTokenOnLoginOn(), Way: stats.WayMiniProgram}
	in, err := s.Enter(ctx, t, e)
	if req.PhoneCode != "" && (errors.Is(err, users.ErrNotRegistered) || errors.Is(err, users.ErrUnknownIdentity)) {
		if e.Attempt.Phone, err = s.VerifiedPhone(wctx, t, app, req.PhoneCode, ws.OpenID); err != nil {
			return LoginResult{}, err
		}
		in, err = s.Enter(ctx, t, e)
	}
	if errors.Is(err, users.ErrUnknownIdentity) {
		ticket, err := s.cfg.Signup.Issue(ctx, t.ID, signup.Pending{AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID,
			SessionKey: ws.SessionKey, Phone: e.Attempt.Phone, Way: e.Way})
		return LoginResult{Ticket: ticket}, err
	}
	if err != nil {
		return LoginResult{}, err
	}
	res = LoginResult{Entered: in}
	if req.PhoneCode != "" && e.Attempt.Phone == "" {
		res.User, res.PhoneErr = s.bindLoginPhone(ctx, wctx, t, app, in.User, req.PhoneCode, ws.OpenID)
	}
	return res, nil
}
