package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/admins"
)

// The second step of a console sign-in, for admins with MFA on
// (docs/console.md): the MFA token of the first step and a TOTP or
// recovery code give the console session.

type mfaRequiredResponse struct {
	MFARequired bool      `json:"mfa_required"`
	MFAToken    string    `json:"mfa_token"`
	ExpiresAt   time.Time `json:"expires_at"`
}

type signInMFARequest struct {
	MFAToken string `json:"mfa_token"`
	Code     string `json:"code"`
}

func (r *signInMFARequest) validate() error {
	switch {
	case r.MFAToken == "" || r.Code == "":
		return badRequest("mfa_token and code are required")
	case len(r.MFAToken) > 256 || len(r.Code) > 64:
		return badRequest("mfa_token or code is too long")
	}
	return nil
}

// adminSignInMFA checks the code: wrong codes count in the same lockout
// as wrong passwords; the token survives a wrong code, up to 5 of them.
func (s *Server) adminSignInMFA(c *fiber.Ctx) error {
	var req signInMFARequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	a, err := s.deps.AdminSignIn.SecondFactor(c.UserContext(), req.MFAToken, req.Code, clientIP(c))
	if errors.Is(err, admins.ErrInvalidSecondFactor) {
		return errWrongSignInCode
	}
	if err != nil {
		return err
	}
	return s.startConsoleSession(c, a)
}

var errWrongSignInCode = &Error{Status: 401, Code: CodeInvalidMFACode, Message: "wrong, used or expired authentication code"}

// requireEnrolled refuses everything but MFA set-up (and the session
// itself) to a platform admin whom the platform requires to use MFA and
// who has none yet (after requireAdmin).
func (s *Server) requireEnrolled(c *fiber.Ctx) error {
	must, err := s.deps.MFA.MustEnrol(c.UserContext(), adminOf(c))
	if err != nil {
		return err
	}
	if must {
		return errEnrolmentRequired
	}
	return c.Next()
}

// actorOf is the signed-in admin as the admins domain names who acts:
// its row, its console session and the client's address.
func actorOf(c *fiber.Ctx) admins.Actor {
	sess, _ := c.Locals(localAdminSess).(*admins.ConsoleSession)
	return admins.Actor{Admin: adminOf(c), Session: sess, IP: clientIP(c)}
}
