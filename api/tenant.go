package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
)

// resolveTenant loads the tenant named in the path (from memory, usually)
// and refuses disabled ones.
func (s *Server) resolveTenant(c *fiber.Ctx) error {
	slug := strings.Clone(c.Params("tenant")) // fasthttp reuses the path's memory
	c.Locals(localTenantSlug, slug)
	t, err := s.deps.Tenants.Lookup(c.UserContext(), slug)
	if err != nil {
		return err
	}
	if !t.Active() {
		return tenants.ErrDisabled
	}
	c.Locals(localTenant, t)
	return c.Next()
}

const localTenantSlug = "tenant_slug"

func tenantOf(c *fiber.Ctx) *tenants.Tenant {
	t, _ := c.Locals(localTenant).(*tenants.Tenant)
	return t
}

func tenantSlug(c *fiber.Ctx) string {
	s, _ := c.Locals(localTenantSlug).(string)
	return s
}
