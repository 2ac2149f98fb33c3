package api

import (
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/users"
)

// AvatarBodyLimit is the largest body of POST /me/avatar: a 1 MiB image
// and its multipart framing. Every other route keeps BodyLimit.
const AvatarBodyLimit = users.MaxAvatarSize + 16*1024

// isAvatarUpload tells limitBody, which runs before routing, that a
// request is POST /t/{tenant}/me/avatar.
func isAvatarUpload(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	rest, ok := strings.CutPrefix(c.Path(), "/t/")
	slug, tail, _ := strings.Cut(rest, "/")
	return ok && tenants.ValidSlug(slug) && tail == "me/avatar"
}

var errAvatarTooLarge = &Error{Status: 413, Code: CodeRequestTooLarge, Message: "the avatar is larger than 1 MiB"}

// avatarURLPrefix is where the product serves a tenant's uploaded
// avatars: <public URL>/t/<slug>/avatars/.
func (s *Server) avatarURLPrefix(t *tenants.Tenant) string {
	return s.issuer(t) + "/avatars/"
}

// uploadAvatar stores the image wx.uploadFile sends (multipart field
// "file") as the user's avatar and answers the user with its new URL
// (POST /me/avatar). The type is read from the content, never the name.
func (s *Server) uploadAvatar(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return badRequest(`send the image as multipart/form-data in the field "file"`)
	}
	if fh.Size > users.MaxAvatarSize {
		return errAvatarTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, users.MaxAvatarSize+1))
	if err != nil {
		return err
	}
	t, u := tenantOf(c), userOf(c)
	updated, err := s.deps.Users.SetAvatar(c.UserContext(), t.ID, u.ID, data, s.avatarURLPrefix(t))
	if err != nil {
		return err
	}
	j := newUserJSON(updated, false)
	j.IsNew = nil
	return c.JSON(meResponse{User: j})
}

// avatar serves an uploaded avatar (GET /avatars/{id}, public). Its URL
// changes with every upload, so it is cached for good.
func (s *Server) avatar(c *fiber.Ctx) error {
	a, err := s.deps.Users.AvatarByPublicID(c.UserContext(), tenantOf(c).ID, c.Params("id"))
	if err != nil {
		return err
	}
	etag := `"` + a.ETag + `"`
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, etag)
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		c.Status(fiber.StatusNotModified)
		return nil
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Data)
}

// etagMatches reads If-None-Match as RFC 9110 does for GET: a weak
// comparison against any of the listed tags, or "*".
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}
