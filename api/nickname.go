package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/wechat"
)

// clientAvatarURL checks an avatar URL a client hands in: https, or one of
// the product's own avatar URLs of this tenant (which are http on a
// development PUBLIC_URL). WeChat's temporary paths (http://tmp/…) are
// local to the phone: upload the file to /me/avatar instead.
func (s *Server) clientAvatarURL(c *fiber.Ctx, u string) error {
	if u == "" || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, s.avatarURLPrefix(tenantOf(c))) {
		return nil
	}
	return badRequest("avatar_url must be an https URL; upload a chosen avatar to /me/avatar")
}

// nicknameTarget is the mini-program and openid a nickname is checked
// under: the session's, else the user's identity in the default
// mini-program; nil when the user has none.
func (s *Server) nicknameTarget(c *fiber.Ctx) (*tenants.App, string) {
	ctx, t, sess := c.UserContext(), tenantOf(c), sessionOf(c)
	app, err := t.AppByID(sess.AppID)
	if err != nil || app.Kind != tenants.KindMiniProgram {
		if app, err = t.MiniProgram(""); err != nil {
			return nil, ""
		}
	}
	id, err := s.deps.Users.IdentityOf(ctx, t.ID, sess.UserID, app.ID)
	if err != nil {
		return nil, ""
	}
	return app, id.OpenID
}

// screenNickname runs the tenant's nickname content check under the
// mini-program app and the user's openid there (signin.ScreenNickname):
// the verdict returned, when not nil, is to be audited once the nickname
// is stored (auditReview).
func (s *Server) screenNickname(c *fiber.Ctx, app *tenants.App, openid, nick string) (*wechat.SecCheck, error) {
	return s.deps.SignIn.ScreenNickname(c.UserContext(), tenantOf(c), app, openid, nick)
}

// auditReview records that a stored nickname was let through on WeChat's
// "review" verdict, for the tenant's moderators; nothing when v is nil.
func (s *Server) auditReview(c *fiber.Ctx, userID, nick string, v *wechat.SecCheck) {
	s.deps.SignIn.AuditReview(c.UserContext(), tenantOf(c), userID, nick, clientIP(c), v)
}
