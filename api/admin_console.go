package api

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/web"
)

// consoleCSP allows nothing but the console's own files and API: no inline
// script or style, no other origin, no framing.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// console serves the embedded console at /console/.
func (s *Server) console() fiber.Handler {
	files := web.Console()
	return func(c *fiber.Ctx) error {
		if c.Path() == "/console" { // relative URLs in index.html need the slash
			return c.Redirect("/console/", fiber.StatusMovedPermanently)
		}
		name := path.Clean("/" + c.Params("*"))[1:]
		if name == "" {
			name = "index.html"
		}
		b, err := fs.ReadFile(files, name)
		if err != nil || strings.HasPrefix(name, ".") {
			return fiber.ErrNotFound
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		c.Set(fiber.HeaderContentType, ct)
		c.Set("Content-Security-Policy", consoleCSP)
		c.Set("X-Frame-Options", "DENY")
		c.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Set("Cache-Control", "no-cache")
		return c.Send(b)
	}
}
