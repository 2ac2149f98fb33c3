package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/users"
)

// A login may chain three WeChat calls (jscode2session, stable_token,
// getuserphonenumber) at up to wechat.DefaultTotalTimeout each inside one
// request deadline. They share the deadline less answerMargin, kept for
// writing the session and answering; the phone code, which is paid for
// and single use, is not sent with less than phoneMinimum left, since a
// call cut short may have spent it at WeChat.
const (
	answerMargin = 1500 * time.Millisecond
	phoneMinimum = 2 * time.Second
)

// errorBody is an error as it appears inside a successful answer.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// wechatBudget bounds the WeChat calls of a request: its deadline less
// answerMargin. A context without a deadline is returned as it is.
func wechatBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-answerMargin))
}

// bindLoginPhone exchanges a login's phone_code, after the login itself
// worked, and binds the number to u. A failure leaves the login standing:
// it comes back as the answer's phone_error, and the mini-program can ask
// for the button again and call POST /me/phone.
func (s *Server) bindLoginPhone(c *fiber.Ctx, wctx context.Context, app *tenants.App, u *users.User, code, openid string) (*users.User, *Error) {
	t := tenantOf(c)
	if deadline, ok := wctx.Deadline(); ok && time.Until(deadline) < phoneMinimum {
		return u, &Error{Status: 503, Code: CodeWeChatUnavailable,
			Message: "WeChat answered too slowly to verify the phone number in time; the phone code was not used, send it to POST /me/phone"}
	}
	phone, err := s.verifiedPhone(wctx, t, app, code, openid)
	if err == nil {
		var bound *users.User
		if bound, err = s.deps.Users.BindPhone(c.UserContext(), t.ID, u.ID, phone); err == nil {
			return bound, nil
		}
	}
	e := classify(err)
	if e.Status >= 500 || e.cause != nil {
		s.log.Warn("phone not bound at login", "request_id", requestIDOf(c), "tenant", t.Slug, "code", e.Code, "err", e.Error())
	}
	return u, e
}
