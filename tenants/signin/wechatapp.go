package signin

import (
	"context"
	"errors"

	"miniauth/tenants"
	"miniauth/tenants/signup"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
)

// AppLogin is the code the WeChat Open SDK's SendAuth gave the tenant's
// iOS/Android app, with optionally the AppID of one of the tenant's
// mobile applications (its first one when empty).
type AppLogin struct {
	Code  string
	AppID string
}

// WeChatApp is the way in of the tenant's mobile app (the WeChat app's
// SendAuth login, wechat-open-api.md §1): the code is exchanged with
// sns/oauth2/access_token under the mobile application's AppID and
// AppSecret, the identity's login budget is spent, and it enters under the
// registration policy. The user is the one bound to the app's openid, or
// else the one holding the unionid (the same open platform as the
// tenant's mini-programs and website); an identity the policy does not
// admit gets a sign-up Ticket.
func (s *Service) WeChatApp(ctx context.Context, t *tenants.Tenant, req AppLogin, c Client) (res LoginResult, err error) {
	defer func() {
		if err != nil {
			s.refused(ctx, t, stats.WayApp, mobileAppID(t, req.AppID), err)
		}
	}()
	l, err := s.appIdentity(ctx, t, req)
	if err != nil {
		return LoginResult{}, err
	}
	if s.cfg.Limiter != nil {
		if err := s.cfg.Limiter.Identity(ctx, t.ID, l.AppID, l.OpenID, t.Settings.RateLimits); err != nil {
			return LoginResult{}, err
		}
	}
	a := users.Attempt{Login: l, Policy: t.Settings.RegistrationPolicy()}
	in, err := s.Enter(ctx, t, Entry{Attempt: a, Client: c, AccessToken: t.Settings.AccessTokenOnLoginOn(), Way: stats.WayApp})
	if errors.Is(err, users.ErrUnknownIdentity) {
		ticket, err := s.cfg.Signup.Issue(ctx, t.ID, signup.Pending{AppID: l.AppID, OpenID: l.OpenID, UnionID: l.UnionID, Way: stats.WayApp})
		return LoginResult{Ticket: ticket}, err
	}
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Entered: in}, nil
}

// appIdentity exchanges a SendAuth code for the identity it stands for.
func (s *Service) appIdentity(ctx context.Context, t *tenants.Tenant, req AppLogin) (users.Login, error) {
	app, err := t.MobileApp(req.AppID)
	if err != nil {
		return users.Login{}, err
	}
	secret, err := s.cfg.Tenants.Secret(app)
	if err != nil {
		return users.Login{}, err
	}
	wctx, cancel := WeChatBudget(ctx)
	defer cancel()
	tok, err := s.cfg.WeChat.OAuthAccessToken(wctx, app.AppID, secret, req.Code)
	if err != nil {
		return users.Login{}, err
	}
	return users.Login{TenantID: t.ID, AppID: app.ID, OpenID: tok.OpenID, UnionID: tok.UnionID}, nil
}
