package api

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/wechat"
)

var errNoSuchApp = &Error{Status: 404, Code: CodeNotFound, Message: "no such app in this tenant"}

func (s *Server) adminListApps(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	return c.JSON(appsResponse{Apps: newTenantJSON(t).Apps})
}

type addAppRequest struct {
	AppID   string `json:"appid"`
	Secret  string `json:"secret"`
	Default bool   `json:"default"`
	Kind    string `json:"kind"` // "" is a mini-program
}

// adminAddApp adds an app of any kind (DESIGN.md §10); only mini-programs
// can be the default.
func (s *Server) adminAddApp(c *fiber.Ctx) error {
	var req addAppRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	reg := s.deps.Tenants
	add := map[string]func(context.Context, int64, tenants.NewApp) error{
		"": reg.AddApp, tenants.KindMiniProgram: reg.AddApp, tenants.KindOfficialAccount: reg.AddOfficialAccount,
		tenants.KindMobileApp: reg.AddMobileApp, tenants.KindWebsite: reg.AddWebsite}[req.Kind]
	if add == nil {
		return badRequest("kind must be miniprogram, officialaccount, mobileapp or website")
	}
	if req.Default && req.Kind != "" && req.Kind != tenants.KindMiniProgram {
		return badRequest("only a mini-program can be the default app")
	}
	if err := add(c.UserContext(), t.ID, tenants.NewApp{
		AppID: strings.TrimSpace(req.AppID), Secret: req.Secret, IsDefault: req.Default, Actor: adminActor(c)}); err != nil {
		return err
	}
	return s.appsAfterChange(c, t, fiber.StatusCreated)
}

// adminRemoveApp removes an app and the identities that signed in through
// it (tenants.RemoveApp); the default mini-program stays.
func (s *Server) adminRemoveApp(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	err := s.deps.Tenants.RemoveApp(c.UserContext(), t.ID, c.Params("appid"), adminActor(c))
	if errors.Is(err, tenants.ErrAppUnknown) {
		return errNoSuchApp
	}
	if err != nil {
		return err
	}
	return s.appsAfterChange(c, t, fiber.StatusOK)
}

type rotateSecretRequest struct {
	Secret string `json:"secret"`
}

// adminRotateSecret replaces an AppSecret. Logins use the new one as soon
// as the cache entry is dropped, on every node.
func (s *Server) adminRotateSecret(c *fiber.Ctx) error {
	var req rotateSecretRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	err := s.deps.Tenants.RotateSecret(c.UserContext(), t.ID, c.Params("appid"), req.Secret, adminActor(c))
	if errors.Is(err, tenants.ErrAppUnknown) {
		return errNoSuchApp
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminDefaultApp(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	err := s.deps.Tenants.SetDefaultApp(c.UserContext(), t.ID, c.Params("appid"), adminActor(c))
	if errors.Is(err, tenants.ErrAppUnknown) {
		return errNoSuchApp
	}
	if err != nil {
		return err
	}
	return s.appsAfterChange(c, t, fiber.StatusOK)
}

func (s *Server) appsAfterChange(c *fiber.Ctx, t *tenants.Tenant, status int) error {
	fresh, err := s.deps.Tenants.ByID(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(appsResponse{Apps: newTenantJSON(fresh).Apps})
}

type testAppResponse struct {
	OK      bool   `json:"ok"`
	ErrCode int    `json:"errcode,omitempty"`
	ErrMsg  string `json:"errmsg,omitempty"`
	Message string `json:"message"`
}

// adminTestApp asks WeChat for an access token with the stored AppSecret
// and reports whether WeChat accepts it. The token itself is dropped.
func (s *Server) adminTestApp(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	app, err := t.App(c.Params("appid"))
	if err != nil || c.Params("appid") == "" {
		return errNoSuchApp
	}
	if app.Kind == tenants.KindMobileApp || app.Kind == tenants.KindWebsite {
		// Open Platform apps get no client_credential access token: only a
		// user's login proves their AppSecret.
		return badRequest("WeChat checks the AppSecret of an Open Platform app only at a user's login")
	}
	ctx := c.UserContext()
	secret, err := s.deps.Tenants.Secret(app)
	if err != nil {
		return err
	}
	_, err = s.deps.WeChat.StableToken(ctx, app.AppID, secret, false)
	s.audit(c, audit.Entry{TenantID: t.ID, Actor: adminActor(c),
		Action: "app.tested", TargetType: "app", TargetID: app.AppID, Details: map[string]any{"ok": err == nil}})
	var we *wechat.APIError
	switch {
	case err == nil:
		return c.JSON(testAppResponse{OK: true, Message: "WeChat accepts this AppID and AppSecret"})
	case errors.As(err, &we):
		s.noteWeChatError(c, t.ID, app.AppID, err)
		return c.JSON(testAppResponse{ErrCode: we.Code, ErrMsg: we.Msg,
			Message: "WeChat refused the stored credentials"})
	case errors.Is(err, wechat.ErrUnavailable):
		s.noteWeChatError(c, t.ID, app.AppID, err)
		return c.JSON(testAppResponse{Message: "WeChat did not answer; try again"})
	}
	return err
}

// Response bodies of the handlers above.

type appsResponse struct {
	Apps []appJSON `json:"apps"`
}
