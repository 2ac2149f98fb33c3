package api

import (
	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/ratelimit"
)

// limitsOf is a tenant's rate budgets.
func limitsOf(t *tenants.Tenant) ratelimit.Limits { return t.Settings.RateLimits }

// limitLogin spends the tenant's and the client address's login budgets
// before a code goes anywhere near WeChat.
func (s *Server) limitLogin(c *fiber.Ctx) error {
	if s.deps.Limiter == nil {
		return c.Next()
	}
	t := tenantOf(c)
	if err := s.deps.Limiter.Login(c.UserContext(), t.ID, clientIP(c), limitsOf(t)); err != nil {
		if way := loginWay(c); way != "" { // a refusal for the charts of use (usage.go)
			s.deps.SignIn.Refused(c.UserContext(), t, way, err)
		}
		return err
	}
	return c.Next()
}

// limitSession spends one request of a session's budget.
func (s *Server) limitSession(c *fiber.Ctx, t *tenants.Tenant, sessionID string) error {
	if s.deps.Limiter == nil {
		return nil
	}
	return s.deps.Limiter.Session(c.UserContext(), t.ID, sessionID, limitsOf(t))
}

// LimitAPIKey spends one request of an API key's budget; the API-key
// middleware calls it once the key is known.
func (s *Server) LimitAPIKey(c *fiber.Ctx, t *tenants.Tenant, keyID string) error {
	if s.deps.Limiter == nil {
		return nil
	}
	return s.deps.Limiter.APIKey(c.UserContext(), t.ID, keyID, limitsOf(t))
}
