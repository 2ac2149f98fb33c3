package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/tokens"
)

type phoneRequest struct {
	Code string `json:"code"`
}

// bindPhone binds the number behind a getPhoneNumber button's code to the
// signed-in user (POST /me/phone).
func (s *Server) bindPhone(c *fiber.Ctx) error {
	var req phoneRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Code == "" || !codeRe.MatchString(req.Code) {
		return badRequest("code (the getPhoneNumber button's code) is required")
	}
	ctx, t, sess := c.UserContext(), tenantOf(c), sessionOf(c)
	app, err := t.AppByID(sess.AppID)
	if err != nil || app.Kind != tenants.KindMiniProgram {
		return badRequest("this session did not come from a mini-program")
	}
	id, err := s.deps.Users.IdentityOf(ctx, t.ID, sess.UserID, app.ID)
	if err != nil {
		return err
	}
	phone, err := s.verifiedPhone(ctx, t, app, req.Code, id.OpenID)
	if err != nil {
		return err
	}
	u, err := s.deps.Users.BindPhone(ctx, t.ID, sess.UserID, phone)
	if err != nil {
		return err
	}
	j := newUserJSON(u, false)
	j.IsNew = nil
	return c.JSON(meResponse{User: j})
}

// verifiedPhone exchanges a phone code with WeChat for the user's number
// (signin.VerifiedPhone).
func (s *Server) verifiedPhone(ctx context.Context, t *tenants.Tenant, app *tenants.App, code, openid string) (string, error) {
	return s.deps.SignIn.VerifiedPhone(ctx, t, app, code, openid)
}

// tokenTarget names an app's shared access token.
func (s *Server) tokenTarget(t *tenants.Tenant, app *tenants.App) tokens.Target {
	return s.deps.SignIn.TokenTarget(t, app)
}
