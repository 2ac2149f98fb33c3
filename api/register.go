package api

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

// signupResponse answers a login of an identity the tenant does not know
// when its policy is signup or existing_only.
type signupResponse struct {
	Registered bool   `json:"registered"`
	Ticket     string `json:"signup_ticket"`
	ExpiresIn  int    `json:"expires_in"`
}

type registerRequest struct {
	Ticket    string  `json:"signup_ticket"`
	Nickname  *string `json:"nickname"`
	AvatarURL *string `json:"avatar_url"`
	PhoneCode string  `json:"phone_code"`
}

func (r *registerRequest) validate(s *Server, c *fiber.Ctx) error {
	switch {
	case r.Ticket == "":
		return badRequest("signup_ticket is required")
	case r.PhoneCode != "" && !codeRe.MatchString(r.PhoneCode):
		return badRequest("phone_code is malformed")
	}
	if r.AvatarURL != nil {
		if err := s.clientAvatarURL(c, *r.AvatarURL); err != nil {
			return err
		}
	}
	return users.Profile{Nickname: r.Nickname, AvatarURL: r.AvatarURL}.Validate()
}

// register turns a sign-up ticket into a user (signup) or binds it to the
// imported user with the verified phone number (existing_only), and answers
// like a login. A refused sign-up leaves the ticket usable until it expires.
func (s *Server) register(c *fiber.Ctx) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(s, c); err != nil {
		return err
	}
	ctx, t := c.UserContext(), tenantOf(c)
	p, err := s.deps.Signup.Peek(ctx, t.ID, req.Ticket)
	if err != nil {
		return err
	}
	if p.AppID == 0 && p.Phone != "" { // an SMS login's ticket (signin.RegisterByPhone)
		return s.registerByPhone(c, &req, p)
	}
	app, err := t.AppByID(p.AppID)
	if errors.Is(err, tenants.ErrAppUnknown) {
		return signup.ErrInvalid // the app was removed since
	}
	// Before the phone code is spent: a refused nickname must not cost it.
	var review *wechat.SecCheck
	if req.Nickname != nil {
		checkApp := app // an H5 sign-up has no mini-program openid to check under
		if app.Kind != tenants.KindMiniProgram {
			checkApp = nil
		}
		if review, err = s.screenNickname(c, checkApp, p.OpenID, *req.Nickname); err != nil {
			return err
		}
	}
	phone := p.Phone
	if req.PhoneCode != "" && app.Kind != tenants.KindMiniProgram {
		return badRequest("phone_code comes from a mini-program's getPhoneNumber button; this sign-up began on an H5 page")
	}
	if req.PhoneCode != "" {
		wctx, cancel := signin.WeChatBudget(ctx) // leave time to write the user and answer
		phone, err = s.verifiedPhone(wctx, t, app, req.PhoneCode, p.OpenID)
		cancel()
		if err != nil {
			return err
		}
	}
	policy := t.Settings.RegistrationPolicy()
	if policy == tenants.RegistrationExistingOnly && phone == "" {
		return badRequest("phone_code is required: this tenant only admits users it already has, found by phone number")
	}
	a := users.Attempt{
		Login:  users.Login{TenantID: t.ID, AppID: app.ID, OpenID: p.OpenID, UnionID: p.UnionID},
		Policy: policy, Register: true, Phone: phone,
		Profile: users.Profile{Nickname: req.Nickname, AvatarURL: req.AvatarURL},
	}
	in, err := s.enter(c, a, p.SessionKey, func() error {
		return s.deps.Signup.Spend(ctx, t.ID, req.Ticket)
	}, t.Settings.AccessTokenOnLoginOn())
	if err != nil {
		return err
	}
	if req.Nickname != nil && in.User.Nickname == *req.Nickname {
		s.auditReview(c, in.User.PublicID, *req.Nickname, review)
	}
	return s.loginAnswer(c, in, nil)
}
