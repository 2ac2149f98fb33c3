package signin

import (
	"context"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

// AccessToken is a short-lived JWT for the tenant's backend, signed with
// the tenant's own key (docs/backends.md).
type AccessToken struct {
	Token     string
	ExpiresIn int // seconds
}

// IdentityOf names the WeChat identity a session was made for: the app's
// AppID and the user's openid there ("" for a user bound by phone or web
// OAuth who has no identity in that app).
func (s *Service) IdentityOf(ctx context.Context, t *tenants.Tenant, userID, appID int64) (appid, openid string, err error) {
	if app, err := t.AppByID(appID); err == nil {
		appid = app.AppID
	}
	openid, err = s.cfg.Users.OpenIDOf(ctx, t.ID, userID, appID)
	switch {
	case errIsNotFound(err):
		return appid, "", nil
	case err != nil:
		return "", "", err
	}
	return appid, openid, nil
}

// AccessTokenFor signs an access token for a live session of u.
func (s *Service) AccessTokenFor(ctx context.Context, t *tenants.Tenant, sess *sessions.Session, u *users.User) (AccessToken, error) {
	appid, openid, err := s.IdentityOf(ctx, t, u.ID, sess.AppID)
	if err != nil {
		return AccessToken{}, err
	}
	return s.mint(ctx, t, sess, u, appid, openid)
}

// mint signs an access token for a session of u made for the identity
// (appid, openid).
func (s *Service) mint(ctx context.Context, t *tenants.Tenant, sess *sessions.Session, u *users.User, appid, openid string) (AccessToken, error) {
	m := sessions.Mint{TenantID: t.ID, Issuer: s.Issuer(t), Audience: t.Slug, Subject: u.PublicID,
		SessionID: sess.ID, OpenID: openid, AppID: appid}
	if u.UnionID != nil {
		m.UnionID = *u.UnionID
	}
	tok, _, err := s.cfg.AccessTokens.Issue(ctx, m)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: tok, ExpiresIn: int(s.cfg.AccessTokens.TTL().Seconds())}, nil
}
