package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
)

type accessTokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	AppID       string `json:"appid"`
}

// wechatAccessToken hands a tenant backend the app's current WeChat
// access_token (GET /wechat/access-token?appid=…), the one every miniauth
// node shares, so that backends stop refreshing it themselves and
// invalidating each other's. ?stale=<token> says WeChat refused that token
// (40001/42001): a token other than it is returned.
func (s *Server) wechatAccessToken(c *fiber.Ctx) error {
	ctx, t := c.UserContext(), tenantOf(c)
	appid := strings.Clone(c.Query("appid"))
	if appid != "" && !tenants.ValidAppID(appid) {
		return badRequest("appid is malformed")
	}
	app, err := t.MiniProgram(appid) // the default mini-program when appid is empty
	if err != nil && appid != "" {
		app, err = t.OfficialAccount(appid)
	}
	if err != nil {
		return badRequest("this tenant has no such app")
	}
	target := s.tokenTarget(t, app)
	tok, err := s.deps.Tokens.Get(ctx, target)
	if stale := c.Query("stale"); err == nil && stale != "" && stale == tok.Value {
		tok, err = s.deps.Tokens.Renew(ctx, target, strings.Clone(stale))
	}
	if err != nil {
		return err
	}
	return c.JSON(accessTokenResponse{AccessToken: tok.Value, AppID: app.AppID,
		ExpiresIn: max(0, int(time.Until(tok.ExpiresAt).Seconds()))})
}
