package api

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

// JWT access tokens (docs/backends.md): short-lived, signed with the
// tenant's own key, verifiable by a tenant backend with the JWKS alone.

// issuer is the iss of a tenant's access tokens: <public URL>/t/<slug>.
func (s *Server) issuer(t *tenants.Tenant) string {
	return strings.TrimRight(s.deps.PublicURL, "/") + "/t/" + t.Slug
}

type accessTokenJSON struct {
	AccessToken          string `json:"access_token"`
	TokenType            string `json:"token_type"`
	AccessTokenExpiresIn int    `json:"access_token_expires_in"`
}

// identityOf names the WeChat identity a session was made for: the
// mini-program's AppID and the user's openid there.
func (s *Server) identityOf(ctx context.Context, t *tenants.Tenant, userID, appID int64) (appid, openid string, err error) {
	if app, err := t.AppByID(appID); err == nil {
		appid = app.AppID
	}
	openid, err = s.deps.Users.OpenIDOf(ctx, t.ID, userID, appID)
	switch {
	case errors.Is(err, users.ErrNotFound):
		return appid, "", nil // a user bound by phone or web OAuth may have no identity in this app
	case err != nil:
		return "", "", err
	}
	return appid, openid, nil
}

// issueAccessToken signs an access token for a live session of u.
func (s *Server) issueAccessToken(ctx context.Context, t *tenants.Tenant, sess *sessions.Session, u *users.User) (accessTokenJSON, error) {
	appid, openid, err := s.identityOf(ctx, t, u.ID, sess.AppID)
	if err != nil {
		return accessTokenJSON{}, err
	}
	return s.signAccessToken(ctx, t, sess, u, appid, openid)
}

// signAccessToken signs an access token for a session of u made for the
// identity (appid, openid).
func (s *Server) signAccessToken(ctx context.Context, t *tenants.Tenant, sess *sessions.Session, u *users.User, appid, openid string) (accessTokenJSON, error) {
	m := sessions.Mint{TenantID: t.ID, Issuer: s.issuer(t), Audience: t.Slug, Subject: u.PublicID,
		SessionID: sess.ID, OpenID: openid, AppID: appid}
	if u.UnionID != nil {
		m.UnionID = *u.UnionID
	}
	tok, _, err := s.deps.AccessTokens.Issue(ctx, m)
	if err != nil {
		return accessTokenJSON{}, err
	}
	return accessTokenJSON{AccessToken: tok, TokenType: "Bearer",
		AccessTokenExpiresIn: int(s.deps.AccessTokens.TTL().Seconds())}, nil
}

// token answers POST /t/{tenant}/token: a fresh access token for the
// session presented (requireSession ran).
func (s *Server) token(c *fiber.Ctx) error {
	at, err := s.issueAccessToken(c.UserContext(), tenantOf(c), sessionOf(c), userOf(c))
	if err != nil {
		return err
	}
	return c.JSON(at)
}
