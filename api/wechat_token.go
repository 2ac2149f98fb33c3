package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/tokens"
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
// (40001/40014/42001): a token other than it is returned. Only the current
// token can be reported stale, and replacing it may take a forced refresh,
// which kills it for every holder: those are audited and limited for all
// nodes together to one per 30 s and 20 a day per app (429 rate_limited).
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
		if err == nil && tok.Forced {
			s.auditForcedRefresh(c, t, app.AppID, target)
		}
	}
	if err != nil {
		return err
	}
	return c.JSON(accessTokenResponse{AccessToken: tok.Value, AppID: app.AppID,
		ExpiresIn: max(0, int(time.Until(tok.ExpiresAt).Seconds()))})
}

// auditForcedRefresh writes who made miniauth force-refresh an app's token.
func (s *Server) auditForcedRefresh(c *fiber.Ctx, t *tenants.Tenant, appid string, target tokens.Target) {
	ctx := c.UserContext()
	details := map[string]any{}
	if n, err := s.deps.Tokens.ForcesToday(ctx, target); err == nil {
		details["forced_today"] = n
	}
	actor := audit.Actor{Type: "api_key", IP: clientIP(c)}
	if k := apiKeyOf(c); k != nil {
		actor.ID = strconv.FormatInt(k.ID, 10)
		details["api_key"] = k.Name
	}
	if err := s.deps.Audit.RecordNow(ctx, audit.Entry{TenantID: t.ID, Actor: actor,
		Action: "wechat.access_token.force_refreshed", TargetType: "app", TargetID: appid, Details: details}); err != nil {
		s.log.Warn("forced refresh not audited", "request_id", requestIDOf(c), "err", err)
	}
}
