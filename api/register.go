package api

import (
	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/signin"
	"miniauth/tenants/users"
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

// register turns a sign-up ticket into a user (signin.Register) and
// answers like a login. A refused sign-up leaves the ticket usable until
// it expires.
func (s *Server) register(c *fiber.Ctx) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(s, c); err != nil {
		return err
	}
	in, err := s.deps.SignIn.Register(c.UserContext(), tenantOf(c), signin.Registration{Ticket: req.Ticket,
		Nickname: req.Nickname, AvatarURL: req.AvatarURL, PhoneCode: req.PhoneCode}, clientOf(c))
	if err != nil {
		return err
	}
	return s.loginAnswer(c, in, nil)
}
