package api

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

type loginRequest struct {
	Code  string `json:"code"`
	AppID string `json:"appid"`
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
	}
	return nil
}

type loginResponse struct {
	Session   string   `json:"session"`
	TokenType string   `json:"token_type"`
	ExpiresIn int      `json:"expires_in"`
	User      userJSON `json:"user"`
}

// login exchanges a wx.login code for a session (DESIGN §1).
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx, t := c.UserContext(), tenantOf(c)
	app, err := t.App(req.AppID)
	if err != nil {
		return err
	}
	secret, err := s.deps.Tenants.Registry().Secret(app)
	if err != nil {
		return err
	}
	ws, err := s.deps.Codes.Code2Session(ctx, app.AppID, secret, req.Code)
	if err != nil {
		return err
	}
	if err := s.limitIdentity(c, t, app.ID, ws.OpenID); err != nil {
		return err
	}
	// The session is made inside the user transaction: if Redis fails, the
	// new user is not written either.
	idle, abs := t.Settings.SessionIdle(), t.Settings.SessionAbsolute()
	var token string
	u, created, err := s.deps.Users.FindOrRegister(ctx, users.Login{
		TenantID: t.ID, AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID},
		func(u *users.User, _ bool) error {
			if u.Banned() {
				return users.ErrBanned
			}
			token, _, err = s.deps.Sessions.Create(ctx, sessions.New{
				TenantID: t.ID, UserID: u.ID, AppID: app.ID, SessionKey: ws.SessionKey,
				TenantEpoch: t.SessionEpoch, UserEpoch: u.SessionEpoch,
				Idle: idle, Absolute: abs, IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent),
			})
			return err
		})
	if err != nil {
		return err
	}
	return c.JSON(loginResponse{Session: token, TokenType: "Bearer",
		ExpiresIn: int(min(idle, abs).Seconds()), User: newUserJSON(u, created)})
}

// decodeJSON parses the body into v, refusing anything but one JSON object.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(strings.TrimSpace(string(body))) == 0 {
		return badRequest("request body must be a JSON object")
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), fiber.MIMEApplicationJSON) {
		return badRequest("Content-Type must be application/json")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		return badRequest("request body is not valid JSON for this endpoint")
	}
	if dec.More() {
		return badRequest("request body must hold a single JSON object")
	}
	return nil
}
