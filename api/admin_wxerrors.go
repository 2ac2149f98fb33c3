package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wxerrors"
)

// noteWeChatErrors runs around the per-tenant routes and remembers WeChat
// failures (rejected credentials, WeChat down) for the tenant's overview in
// the console. The user's own doing (a bad or reused code, calling too
// often: wechat.IsUserFault) is the client's business and is not kept; a
// user WeChat blocks (40226) is, since the admins may hear of it, and so is
// a spent daily quota (45009), which stops every login. The failure names
// its app (wechat.AppIDOf).
func (s *Server) noteWeChatErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	var we *wechat.APIError
	if !errors.As(err, &we) && !errors.Is(err, wechat.ErrUnavailable) {
		return err
	}
	if wechat.IsUserFault(err) {
		return err
	}
	t := tenantOf(c)
	if t == nil {
		return err
	}
	s.noteWeChatError(c, t.ID, wechat.AppIDOf(err), err)
	return err
}

// noteWeChatError records err (a WeChat failure) in the tenant's recent
// WeChat errors; failing to record it is only logged.
func (s *Server) noteWeChatError(c *fiber.Ctx, tenantID int64, appid string, err error) {
	e := wxerrors.Entry{AppID: appid, API: "wechat", Code: -1, Msg: "WeChat did not answer"}
	var we *wechat.APIError
	if errors.As(err, &we) {
		e.API, e.Code, e.Msg = we.API, we.Code, we.Msg
	}
	if s.deps.WeChatErrors == nil {
		return
	}
	if rerr := s.deps.WeChatErrors.Record(c.UserContext(), tenantID, e); rerr != nil {
		s.log.Warn("wechat error not recorded", "request_id", requestIDOf(c), "err", rerr)
	}
}
