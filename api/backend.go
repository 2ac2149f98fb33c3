package api

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/apikeys"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

// Tenant backend facing endpoints (docs/api.md, docs/backends.md).

const localAPIKey = "api_key"

// resolveBackendTenant is resolveTenant that lets disabled tenants
// through: their backends still authenticate, and learn that every token
// is inactive.
func (s *Server) resolveBackendTenant(c *fiber.Ctx) error {
	slug := strings.Clone(c.Params("tenant"))
	c.Locals(localTenantSlug, slug)
	t, err := s.deps.Tenants.Lookup(c.UserContext(), slug)
	if err != nil {
		return err
	}
	c.Locals(localTenant, t)
	return c.Next()
}

var errInvalidAPIKey = &Error{Status: fiber.StatusUnauthorized, Code: CodeInvalidAPIKey,
	Message: "send this tenant's API key as Authorization: Bearer <key>"}

// requireAPIKey admits a server-to-server call of a tenant backend: the
// header Authorization: Bearer <API key> must carry a live key of the
// tenant in the path. Mount it after the tenant is resolved (resolveTenant
// or resolveBackendTenant); apiKeyOf(c) is then the key. A key of another
// tenant is 401 invalid_api_key, exactly as an unknown or revoked key.
func (s *Server) requireAPIKey(c *fiber.Ctx) error {
	secret, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="miniauth"`)
		return errInvalidAPIKey
	}
	k, err := s.deps.APIKeys.Authenticate(c.UserContext(), tenantOf(c).ID, strings.TrimSpace(secret))
	if errors.Is(err, apikeys.ErrInvalid) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="miniauth", error="invalid_token"`)
		return errInvalidAPIKey
	}
	if err != nil {
		return err
	}
	if err := s.LimitAPIKey(c, tenantOf(c), strconv.FormatInt(k.ID, 10)); err != nil {
		return err
	}
	c.Locals(localAPIKey, k)
	return c.Next()
}

// apiKeyOf is the API key of the call (after requireAPIKey).
func apiKeyOf(c *fiber.Ctx) *apikeys.Key {
	k, _ := c.Locals(localAPIKey).(*apikeys.Key)
	return k
}

type introspectRequest struct {
	Token string `json:"token"`
}

func (r *introspectRequest) validate() error {
	if r.Token == "" || len(r.Token) > 4096 {
		return badRequest("token is required (at most 4096 characters)")
	}
	return nil
}

// introspectResponse follows RFC 7662: inactive tokens say nothing else.
type introspectResponse struct {
	Active    bool   `json:"active"`
	TokenType string `json:"token_type,omitempty"` // "session" or "access_token"
	Sub       string `json:"sub,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	OpenID    string `json:"openid,omitempty"`
	UnionID   string `json:"unionid,omitempty"`
	AppID     string `json:"app_id,omitempty"`
	SessionID string `json:"sid,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Aud       string `json:"aud,omitempty"`
}

// introspect answers POST /t/{tenant}/introspect for a session token or an
// access token. A token is active only while its session stands, its
// user exists and is not banned, and the tenant is enabled.
func (s *Server) introspect(c *fiber.Ctx) error {
	var req introspectRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	t := tenantOf(c)
	if !t.Active() {
		return c.JSON(introspectResponse{})
	}
	out, err := s.introspectToken(c, req.Token)
	switch {
	case errors.Is(err, sessions.ErrNotFound), errors.Is(err, sessions.ErrBadAccessToken),
		errors.Is(err, users.ErrNotFound), errors.Is(err, users.ErrBanned):
		return c.JSON(introspectResponse{})
	case err != nil:
		return err
	}
	return c.JSON(out)
}

// introspectToken describes a live token, or fails with the reason it is
// not: sessions.ErrNotFound, sessions.ErrBadAccessToken, users.ErrNotFound
// or users.ErrBanned.
func (s *Server) introspectToken(c *fiber.Ctx, token string) (*introspectResponse, error) {
	ctx, t := c.UserContext(), tenantOf(c)
	out := &introspectResponse{Active: true, Iss: s.issuer(t), Aud: t.Slug}
	var sess *sessions.Session
	var err error
	if sessions.WellFormed(token) {
		out.TokenType = "session"
		if sess, err = s.deps.SignIn.Session(ctx, t, token); err != nil {
			return nil, err
		}
		out.Exp, out.Iat = sess.ExpiresAt.Unix(), sess.IssuedAt.Unix()
	} else {
		out.TokenType = "access_token"
		claims, err := s.deps.AccessTokens.Verify(ctx, token, sessions.Expect{TenantID: t.ID, Issuer: s.issuer(t), Audience: t.Slug})
		if err != nil {
			return nil, err
		}
		out.Exp, out.Iat, out.OpenID, out.AppID = claims.ExpiresAt.Unix(), claims.IssuedAt.Unix(), claims.OpenID, claims.AppID
		// The token lives only as long as the session it came from.
		if sess, err = s.deps.SignIn.SessionByID(ctx, t, claims.SessionID); err != nil {
			return nil, err
		}
	}
	u, err := s.deps.SignIn.UserOf(ctx, t, sess)
	if err != nil {
		return nil, err
	}
	if out.OpenID == "" {
		if out.AppID, out.OpenID, err = s.deps.SignIn.IdentityOf(ctx, t, u.ID, sess.AppID); err != nil {
			return nil, err
		}
	}
	out.Sub, out.UserID, out.SessionID = u.PublicID, u.PublicID, sess.ID
	if u.UnionID != nil {
		out.UnionID = *u.UnionID
	}
	return out, nil
}
