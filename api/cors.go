package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// cors answers the tenant's own web origins (its H5 pages) with CORS
// headers, credentials included, and every other origin with none: the
// browser then keeps the answer from the page. Mini-programs send no Origin
// (wx.request goes through WeChat) and are not concerned. It runs after
// resolveTenant, on every /t/{tenant} route.
func (s *Server) cors(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return c.Next()
	}
	c.Vary(fiber.HeaderOrigin)
	if !tenantOf(c).Settings.AllowsOrigin(origin) {
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, strings.Clone(origin))
	c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	c.Set(fiber.HeaderAccessControlExposeHeaders, "X-Request-Id, Retry-After")
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, PATCH, DELETE")
		c.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, X-Request-Id")
		c.Set(fiber.HeaderAccessControlMaxAge, "600")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Next()
}
