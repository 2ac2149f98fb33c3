package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
)

// wechatAppRequest is the body of POST /login/wechat-app: the code the
// WeChat Open SDK's SendAuth gave the tenant's iOS/Android app.
type wechatAppRequest struct {
	Code  string `json:"code"`
	AppID string `json:"appid"` // optional: one of the tenant's mobile applications
}

func (r *wechatAppRequest) validate() error {
	switch {
	case r.Code == "":
		return badRequest("code (the SendAuth code) is required")
	case !codeRe.MatchString(r.Code):
		return badRequest("code is malformed")
	case r.AppID != "" && !tenants.ValidAppID(r.AppID):
		return badRequest("appid is malformed")
	}
	return nil
}

// loginWeChatApp signs in from the tenant's mobile app with the WeChat app
// (signin.WeChatApp, docs/api.md): the same answer as /login, or a sign-up
// ticket under the tenant's registration policy.
func (s *Server) loginWeChatApp(c *fiber.Ctx) error {
	var req wechatAppRequest
	if err := decodeKnownJSON(c, &req, "code", "appid"); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	res, err := s.deps.SignIn.WeChatApp(c.UserContext(), tenantOf(c), signin.AppLogin{Code: req.Code, AppID: req.AppID}, clientOf(c))
	switch {
	case errors.Is(err, tenants.ErrAppUnknown):
		return badRequest("this tenant has no such mobile application")
	case err != nil:
		return err
	case res.Ticket != "":
		return c.JSON(signupResponse{Registered: false, Ticket: res.Ticket, ExpiresIn: int(signup.TicketTTL.Seconds())})
	}
	return s.loginAnswer(c, res.Entered, nil)
}
