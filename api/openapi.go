package api

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"miniauth/docs"
)

// openAPI serves docs/openapi.yaml as JSON. The conversion happens once,
// when the routes are made; the document changes only with the binary, so
// clients may cache it and revalidate with its ETag.
func (s *Server) openAPI() fiber.Handler {
	doc, err := docs.OpenAPIJSON()
	if err != nil {
		s.log.Error("the OpenAPI description does not convert", "err", err)
		return func(*fiber.Ctx) error { return err }
	}
	sum := sha256.Sum256(doc)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		c.Set(fiber.HeaderETag, etag)
		if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(doc)
	}
}
