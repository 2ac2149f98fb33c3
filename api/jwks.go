package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/sessions"
)

// jwksMaxAge is how long verifiers may cache a tenant's JWKS. It must stay
// well below the signing keys' PublishLead, so that every verifier has
// fetched a key before it signs anything.
const jwksMaxAge = 5 * time.Minute

// jwks serves GET /t/{tenant}/.well-known/jwks.json: the public keys that
// verify the tenant's access tokens (and only this tenant's).
func (s *Server) jwks(c *fiber.Ctx) error {
	t := tenantOf(c)
	keys, err := s.deps.AccessTokens.Keys().Published(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	set, err := sessions.JWKS(keys)
	if err != nil {
		return err
	}
	body, err := json.Marshal(set)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(jwksMaxAge.Seconds())))
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}
