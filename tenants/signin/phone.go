package signin

import (
	"context"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
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

// WeChatBudget bounds the WeChat calls of a request: its deadline less
// answerMargin. A context without a deadline is returned as it is.
func WeChatBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-answerMargin))
}

// VerifiedPhone exchanges a phone code with WeChat for the user's number
// in its stored form; "" when code is "". openid makes WeChat check that
// the code was made for that user.
func (s *Service) VerifiedPhone(ctx context.Context, t *tenants.Tenant, app *tenants.App, code, openid string) (string, error) {
	if code == "" {
		return "", nil
	}
	var p wechat.Phone
	err := s.cfg.Tokens.Do(ctx, s.TokenTarget(t, app), func(token string) error {
		var err error
		p, err = s.cfg.WeChat.GetUserPhoneNumber(ctx, token, code, openid)
		return err
	})
	if err != nil {
		return "", err
	}
	return users.PhoneOf(p.CountryCode, p.PurePhoneNumber)
}

// TokenTarget names an app's shared access token.
func (s *Service) TokenTarget(t *tenants.Tenant, app *tenants.App) tokens.Target {
	return tokens.Target{TenantID: t.ID, AppID: app.AppID, Secret: func() (string, error) {
		return s.cfg.Tenants.Secret(app)
	}}
}

// bindLoginPhone exchanges a login's phone code, after the login itself
// worked, and binds the number to u. A failure leaves the login standing:
// it is returned as the second value (ErrPhoneTooLate when too little time
// was left to spend the code safely), and the mini-program can ask for the
// button again and call POST /me/phone.
func (s *Service) bindLoginPhone(ctx, wctx context.Context, t *tenants.Tenant, app *tenants.App, u *users.User, code, openid string) (*users.User, error) {
	if deadline, ok := wctx.Deadline(); ok && time.Until(deadline) < phoneMinimum {
		return u, ErrPhoneTooLate
	}
	phone, err := s.VerifiedPhone(wctx, t, app, code, openid)
	if err != nil {
		return u, err
	}
	bound, err := s.cfg.Users.BindPhone(ctx, t.ID, u.ID, phone)
	if err != nil {
		return u, err
	}
	return bound, nil
}
