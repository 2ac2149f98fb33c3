package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/users"
)

type loginRequest struct {
	Code      string `json:"code"`
	AppID     string `json:"appid"`
	PhoneCode string `json:"phone_code"` // optional: the getPhoneNumber button's code, bound in the same step
}

var codeRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,128}$`)

func (r *loginRequest) validate() error {
	switch {
	case r.Code == "":
		return badRequest("code is required")
	case !codeRe.MatchString(r.Code):
		return badRequest("code is malformed")
	case r.AppID != "" && !tenants.ValidAppID(r.AppID):
		return badRequest("appid is malformed")
	case r.PhoneCode != "" && !codeRe.MatchString(r.PhoneCode):
		return badRequest("phone_code is malformed")
	}
	return nil
}

type loginResponse struct {
	Session   string   `json:"session"`
	TokenType string   `json:"token_type"`
	ExpiresIn int      `json:"expires_in"`
	User      userJSON `json:"user"`
	// A short-lived JWT for the tenant's backend (token.go).
	AccessToken          string `json:"access_token,omitempty"`
	AccessTokenExpiresIn int    `json:"access_token_expires_in,omitempty"`
	// PhoneError says why a phone_code sent with the login was not bound;
	// the login itself worked (login_phone.go).
	PhoneError *errorBody `json:"phone_error,omitempty"`
}

// login exchanges a wx.login code for a session (signin.MiniProgram,
// docs/api.md). What happens to an unknown identity is the tenant's
// registration policy (docs/registration.md): a new user, or a sign-up
// ticket. A phone_code is exchanged only once the login stands
// (login_phone.go).
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	res, err := s.deps.SignIn.MiniProgram(c.UserContext(), tenantOf(c),
		signin.MiniProgramLogin{Code: req.Code, AppID: req.AppID, PhoneCode: req.PhoneCode}, clientOf(c))
	switch {
	case err != nil:
		return err
	case res.Ticket != "":
		return c.JSON(signupResponse{Registered: false, Ticket: res.Ticket, ExpiresIn: int(signup.TicketTTL.Seconds())})
	}
	return s.loginAnswer(c, res.Entered, s.phoneError(c, res.PhoneErr))
}

// phoneError is why a login's phone_code was not bound, as the answer's
// phone_error (the login stands); nil for nil.
func (s *Server) phoneError(c *fiber.Ctx, err error) *Error {
	if err == nil {
		return nil
	}
	e := classify(err)
	if errors.Is(err, signin.ErrPhoneTooLate) {
		e = &Error{Status: 503, Code: CodeWeChatUnavailable,
			Message: "WeChat answered too slowly to verify the phone number in time; the phone code was not used, send it to POST /me/phone"}
	}
	if e.Status >= 500 || e.cause != nil {
		s.log.Warn("phone not bound at login", "request_id", requestIDOf(c), "tenant", tenantSlug(c), "code", e.Code, "err", e.Error())
	}
	return e
}

// clientOf is who knocks, kept with the session.
func clientOf(c *fiber.Ctx) signin.Client {
	return signin.Client{IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)}
}

// loginAnswer is the answer of a mini-program's way in (login, register):
// the session token once, the user, and the access token; phoneErr, when
// set, says why a phone was not bound.
func (s *Server) loginAnswer(c *fiber.Ctx, in signin.Entered, phoneErr *Error) error {
	body := s.loginBody(c, in.User, in.Created, in.Token)
	if phoneErr != nil {
		body.PhoneError = &errorBody{Code: phoneErr.Code, Message: phoneErr.Message}
	}
	body.AccessToken, body.AccessTokenExpiresIn = in.AccessToken.Token, in.AccessToken.ExpiresIn
	return c.JSON(body)
}

func (s *Server) loginBody(c *fiber.Ctx, u *users.User, created bool, token string) loginResponse {
	st := tenantOf(c).Settings
	return loginResponse{Session: token, TokenType: "Bearer",
		ExpiresIn: int(min(st.SessionIdle(), st.SessionAbsolute()).Seconds()), User: newUserJSON(u, created)}
}

// decodeJSON parses the body into v, refusing anything but one JSON object.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body must be a JSON object")
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), fiber.MIMEApplicationJSON) {
		return badRequest("Content-Type must be application/json")
	}
	// The common case, one well-formed value, in one pass over the body and
	// without copying it: Unmarshal checks the whole body before it fills
	// v, and refuses anything after the value. Only a body it refuses is
	// read again, to say why.
	if json.Unmarshal(body, v) == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badRequest("request body is not valid JSON for this endpoint")
	}
	if dec.More() {
		return badRequest("request body must hold a single JSON object")
	}
	return nil
}

// decodeKnownJSON is decodeJSON for bodies whose every field must be one
// of fields: an unknown one (a typo, a field of another endpoint) is
// answered 400 by name rather than silently ignored.
func decodeKnownJSON(c *fiber.Ctx, v any, fields ...string) error {
	if err := decodeJSON(c, v); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(c.Body(), &all) != nil {
		return badRequest("request body must be a JSON object")
	}
	var unknown []string
	for k := range all {
		if !slices.Contains(fields, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return badRequest("unknown field " + strings.Join(unknown, ", ") + "; the fields are " + strings.Join(fields, ", "))
	}
	return nil
}
