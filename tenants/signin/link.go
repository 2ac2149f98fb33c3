package signin

import (
	"context"
	"errors"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

// ErrLinkKind: ways in of this kind are not linked with a code (the phone
// is bound by its own endpoints; a website or an official account by
// signing in there).
var ErrLinkKind = errors.New("signin: this kind of way in is not linked with a code")

// Link is a code of another way in, for the signed-in user to add it to
// the account: Kind is tenants.KindMobileApp (a SendAuth code) or
// tenants.KindMiniProgram (a wx.login code); AppID picks the app as the
// logins do.
type Link struct {
	Kind  string
	Code  string
	AppID string
}

// Link adds the identity behind req's code to the signed-in user u. An
// identity of someone else (its openid or its unionid) is
// users.ErrIdentityInUse: accounts join by the unionid rule only, never by
// a link.
func (s *Service) Link(ctx context.Context, t *tenants.Tenant, u *users.User, req Link, actor audit.Actor) (*users.User, error) {
	var l users.Login
	var err error
	switch req.Kind {
	case tenants.KindMobileApp:
		l, err = s.appIdentity(ctx, t, AppLogin{Code: req.Code, AppID: req.AppID})
	case tenants.KindMiniProgram:
		l, err = s.miniProgramIdentity(ctx, t, req.Code, req.AppID)
	default:
		return nil, ErrLinkKind
	}
	if err != nil {
		return nil, err
	}
	return s.cfg.Users.Link(ctx, l, u.ID, actor)
}

// miniProgramIdentity exchanges a wx.login code for the identity it stands
// for. The session_key it comes with is not kept: the user's session is
// not the mini-program's.
func (s *Service) miniProgramIdentity(ctx context.Context, t *tenants.Tenant, code, appid string) (users.Login, error) {
	app, err := t.MiniProgram(appid)
	if err != nil {
		return users.Login{}, err
	}
	secret, err := s.cfg.Tenants.Secret(app)
	if err != nil {
		return users.Login{}, err
	}
	wctx, cancel := WeChatBudget(ctx)
	defer cancel()
	ws, err := s.cfg.Codes.Code2Session(wctx, app.AppID, secret, code)
	if err != nil {
		return users.Login{}, err
	}
	return users.Login{TenantID: t.ID, AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID}, nil
}
