package api

import (
	"errors"
	"math"
	"regexp"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/sms"
	"miniauth/tenants/users"
)

// SMS one-time codes (docs/sms.md): send a code, log in with it, bind a
// phone with it. No answer says whether a number has an account.

type smsSendRequest struct {
	Phone   string `json:"phone"`
	Purpose string `json:"purpose"`
}

func (r *smsSendRequest) validate() error {
	switch {
	case r.Phone == "" || len(r.Phone) > 32:
		return &Error{Status: 400, Code: CodeInvalidPhone, Message: "phone is required, in E.164 (+8613800138000)"}
	case r.Purpose == "":
		r.Purpose = sms.PurposeLogin
	case r.Purpose != sms.PurposeLogin && r.Purpose != sms.PurposeBind:
		return badRequest(`purpose must be "login" or "bind"`)
	}
	return nil
}

type smsSendResponse struct {
	ExpiresIn   int `json:"expires_in"`
	ResendAfter int `json:"resend_after"`
}

// smsSend sends a one-time code (POST /sms/send): 202, whether or not the
// number has an account.
func (s *Server) smsSend(c *fiber.Ctx) error {
	var req smsSendRequest
	if err := decodeKnownJSON(c, &req, "phone", "purpose"); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	exp, resend, err := s.deps.SignIn.SendSMSCode(c.UserContext(), tenantOf(c), req.Phone, req.Purpose, clientOf(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(smsSendResponse{ExpiresIn: int(exp.Seconds()),
		ResendAfter: int(math.Ceil(resend.Seconds()))})
}

type smsCodeRequest struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

var smsCodeRe = regexp.MustCompile(`^[0-9]{4,8}$`)

func (r *smsCodeRequest) validate() error {
	switch {
	case r.Phone == "" || len(r.Phone) > 32:
		return &Error{Status: 400, Code: CodeInvalidPhone, Message: "phone is required, in E.164 (+8613800138000)"}
	case r.Code == "":
		return badRequest("code (the one the SMS carried) is required")
	case !smsCodeRe.MatchString(r.Code):
		return errInvalidSMSCode // the same answer as a wrong code
	}
	return nil
}

// loginSMS logs in by phone and code (POST /login/sms), answering like
// /login: a session, or a sign-up ticket under the signup policy.
func (s *Server) loginSMS(c *fiber.Ctx) error {
	var req smsCodeRequest
	if err := decodeKnownJSON(c, &req, "phone", "code"); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	res, err := s.deps.SignIn.SMS(c.UserContext(), tenantOf(c), signin.SMSLogin{Phone: req.Phone, Code: req.Code}, clientOf(c))
	switch {
	case err != nil:
		return err
	case res.Ticket != "":
		return c.JSON(signupResponse{Registered: false, Ticket: res.Ticket, ExpiresIn: int(signup.TicketTTL.Seconds())})
	}
	return s.loginAnswer(c, res.Entered, nil)
}

// bindPhoneSMS binds or changes the signed-in user's phone by SMS code
// (POST /me/phone/sms).
func (s *Server) bindPhoneSMS(c *fiber.Ctx) error {
	var req smsCodeRequest
	if err := decodeKnownJSON(c, &req, "phone", "code"); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	u, err := s.deps.SignIn.BindPhoneBySMS(c.UserContext(), tenantOf(c), userOf(c), req.Phone, req.Code)
	if err != nil {
		return err
	}
	j := newUserJSON(u, false)
	j.IsNew = nil
	return c.JSON(meResponse{User: j})
}

var errInvalidSMSCode = &Error{Status: 401, Code: CodeInvalidSMSCode,
	Message: "the SMS code is wrong, expired or already used; ask for a new one"}

// smsError maps the SMS domain's errors; nil for any other error.
func smsError(err error) *Error {
	var le *sms.LimitError
	switch {
	case errors.Is(err, sms.ErrInvalidCode):
		return errInvalidSMSCode
	case errors.Is(err, sms.ErrInvalidPhone), errors.Is(err, sms.ErrInvalidNumber):
		return &Error{Status: 400, Code: CodeInvalidPhone,
			Message: "the phone number is not a mobile number this service sends codes to (E.164, e.g. +8613800138000)"}
	case errors.Is(err, sms.ErrInvalidPurpose):
		return badRequest(`purpose must be "login" or "bind"`)
	case errors.Is(err, sms.ErrNotFound):
		return &Error{Status: 409, Code: CodeSMSNotConfigured, Message: "this tenant has not set up SMS sign-in"}
	case errors.As(err, &le):
		return &Error{Status: 429, Code: CodeRateLimited, Message: "too many codes requested; retry later",
			RetryAfter: max(1, int(math.Ceil(le.RetryAfter.Seconds())))}
	case errors.Is(err, sms.ErrNoBalance), errors.Is(err, sms.ErrMisconfigured), errors.Is(err, sms.ErrUnavailable):
		return &Error{Status: 502, Code: CodeSMSUnavailable, Message: "the SMS could not be sent; try again later", cause: err}
	}
	return nil
}

// registerByPhone finishes the sign-up of a ticket an SMS login gave: the
// number was proved by the code, so no phone_code goes with it.
func (s *Server) registerByPhone(c *fiber.Ctx, req *registerRequest, p *signup.Pending) error {
	if req.PhoneCode != "" {
		return badRequest("phone_code is not used here: this sign-up began with an SMS code, which proved the number")
	}
	if req.Nickname != nil {
		if _, err := s.screenNickname(c, nil, "", *req.Nickname); err != nil {
			return err
		}
	}
	in, err := s.deps.SignIn.RegisterByPhone(c.UserContext(), tenantOf(c), p, req.Ticket,
		users.Profile{Nickname: req.Nickname, AvatarURL: req.AvatarURL}, clientOf(c))
	if err != nil {
		return err
	}
	return s.loginAnswer(c, in, nil)
}
