package api

import (
	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
)

// JWT access tokens (docs/backends.md): short-lived, signed with the
// tenant's own key, verifiable by a tenant backend with the JWKS alone.

// issuer is the iss of a tenant's access tokens: <public URL>/t/<slug>.
func (s *Server) issuer(t *tenants.Tenant) string { return s.deps.SignIn.Issuer(t) }

type accessTokenJSON struct {
	AccessToken          string `json:"access_token"`
	TokenType            string `json:"token_type"`
	AccessTokenExpiresIn int    `json:"access_token_expires_in"`
}

// token answers POST /t/{tenant}/token: a fresh access token for the
// session presented (requireSession ran).
func (s *Server) token(c *fiber.Ctx) error {
	at, err := s.deps.SignIn.AccessTokenFor(c.UserContext(), tenantOf(c), sessionOf(c), userOf(c))
	if err != nil {
		return err
	}
	return c.JSON(accessTokenJSON{AccessToken: at.Token, TokenType: "Bearer", AccessTokenExpiresIn: at.ExpiresIn})
}
