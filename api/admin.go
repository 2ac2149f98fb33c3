package api

import (
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/audit"
)

// The admin API (/admin/api/, docs/api.md) behind the console. Every route
// below the sign-in goes through requireAdmin; every tenant's route goes
// through adminTenant, which answers 404 for a tenant the admin may not
// see, exactly as for a tenant that does not exist.

const (
	adminCookie      = "miniauth_admin"
	headerCSRF       = "X-CSRF-Token"
	localAdmin       = "admin"
	localAdminSess   = "admin_session"
	localAdminTenant = "admin_tenant"
)

// adminHeaders keep the admin API's answers out of frames and caches.
func adminHeaders(c *fiber.Ctx) error {
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	return c.Next()
}

var (
	errUnauthenticated = &Error{Status: 401, Code: CodeUnauthenticated, Message: "sign in to the console first"}
	errCSRF            = &Error{Status: 403, Code: CodeCSRFFailed, Message: "missing or wrong X-CSRF-Token header; reload the console"}
	errForbidden       = &Error{Status: 403, Code: CodeForbidden, Message: "only a platform admin may do this"}
)

// requireAdmin admits a request with a live console session of an active
// admin, and checks the CSRF token on every state-changing method. Other
// files mount it in front of their admin routes (or hang them below
// /admin/api, where it already runs); adminOf(c) is then the admin.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	ctx := c.UserContext()
	sess, err := s.deps.Console.Get(ctx, c.Cookies(adminCookie))
	if err != nil {
		return err
	}
	a, err := s.deps.Admins.ByID(ctx, sess.AdminID)
	if err != nil || a.Status != "active" {
		if err == nil || errors.Is(err, admins.ErrNotFound) {
			return errUnauthenticated
		}
		return err
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		got := c.Get(headerCSRF)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
			return errCSRF
		}
	}
	c.Locals(localAdmin, a)
	c.Locals(localAdminSess, sess)
	return c.Next()
}

// requirePlatform admits platform admins only (after requireAdmin).
func (s *Server) requirePlatform(c *fiber.Ctx) error {
	if adminOf(c).Role != admins.RolePlatform {
		return errForbidden
	}
	return c.Next()
}

// adminOf is the signed-in admin (after requireAdmin).
func adminOf(c *fiber.Ctx) *admins.Admin {
	a, _ := c.Locals(localAdmin).(*admins.Admin)
	return a
}

// adminActor is the audit actor of the signed-in admin.
func adminActor(c *fiber.Ctx) audit.Actor {
	return audit.Actor{Type: "admin", ID: adminOf(c).Email, IP: clientIP(c)}
}

// adminTenant resolves the :tenant path parameter for the signed-in admin
// (after requireAdmin): a platform admin may reach every tenant, a tenant
// admin only its own; any other tenant is tenants.ErrNotFound (404
// tenant_not_found), so that nobody learns which other tenants exist. It
// reads MySQL, not the cache, so the console shows the current state, and
// returns disabled tenants too.
func (s *Server) adminTenant(c *fiber.Ctx) (*tenants.Tenant, error) {
	if t, ok := c.Locals(localAdminTenant).(*tenants.Tenant); ok {
		return t, nil
	}
	slug := strings.Clone(c.Params("tenant"))
	c.Locals(localTenantSlug, slug)
	a := adminOf(c)
	if a == nil || !tenants.ValidSlug(slug) {
		return nil, tenants.ErrNotFound
	}
	t, err := s.deps.Tenants.Lookup(c.UserContext(), slug)
	if err != nil {
		return nil, err
	}
	if a.Role != admins.RolePlatform && (!a.TenantID.Valid || a.TenantID.Int64 != t.ID) {
		return nil, tenants.ErrNotFound
	}
	c.Locals(localAdminTenant, t)
	return t, nil
}

// loadAdminTenant is adminTenant as the middleware of the tenant's admin
// routes (routes.go); their handlers read the tenant with adminTenantOf.
func (s *Server) loadAdminTenant(c *fiber.Ctx) error {
	if _, err := s.adminTenant(c); err != nil {
		return err
	}
	return c.Next()
}

// adminTenantOf is the tenant of an admin route, after loadAdminTenant.
func adminTenantOf(c *fiber.Ctx) *tenants.Tenant {
	t, _ := c.Locals(localAdminTenant).(*tenants.Tenant)
	return t
}
