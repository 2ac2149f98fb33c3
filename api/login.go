package api

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
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

// login exchanges a wx.login code for a session (docs/api.md). What happens
// to an unknown identity is the tenant's registration policy
// (docs/registration.md): a new user, or a sign-up ticket. A phone_code is
// exchanged only once the login stands (login_phone.go), and every WeChat
// call gets what is left of the request's time, less a margin to answer.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx, t := c.UserContext(), tenantOf(c)
	app, err := t.MiniProgram(req.AppID)
	if err != nil {
		return err
	}
	secret, err := s.deps.Tenants.Registry().Secret(app)
	if err != nil {
		return err
	}
	wctx, cancel := wechatBudget(ctx)
	defer cancel()
	ws, err := s.deps.Codes.Code2Session(wctx, app.AppID, secret, req.Code)
	if err != nil {
		return err
	}
	if err := s.limitIdentity(c, t, app.ID, ws.OpenID); err != nil {
		return err
	}
	who := users.Login{TenantID: t.ID, AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID}
	a := users.Attempt{Login: who, Policy: t.Settings.RegistrationPolicy()}
	in, err := s.enter(c, a, ws.SessionKey, nil)
	if req.PhoneCode != "" && (errors.Is(err, users.ErrNotRegistered) || errors.Is(err, users.ErrUnknownIdentity)) {
		// The number decides who this is (existing_only) or goes with the
		// sign-up ticket: it cannot wait for a login that needs it.
		if a.Phone, err = s.verifiedPhone(wctx, t, app, req.PhoneCode, ws.OpenID); err != nil {
			return err
		}
		in, err = s.enter(c, a, ws.SessionKey, nil)
	}
	if errors.Is(err, users.ErrUnknownIdentity) {
		return s.offerSignup(c, signup.Pending{AppID: app.ID, OpenID: ws.OpenID, UnionID: ws.UnionID,
			SessionKey: ws.SessionKey, Phone: a.Phone})
	}
	if err != nil {
		return err
	}
	var phoneErr *Error
	if req.PhoneCode != "" && a.Phone == "" {
		in.user, phoneErr = s.bindLoginPhone(c, wctx, app, in.user, req.PhoneCode, ws.OpenID)
	}
	return s.loginAnswer(c, a.Login, in, phoneErr)
}

// entered is a way in that worked: the user, whether the attempt made it,
// and the new session with its token (which exists nowhere else).
type entered struct {
	user    *users.User
	created bool
	token   string
	session *sessions.Session
}

// enter logs the attempt in (registering as the policy says) and creates
// the session inside the user transaction: if Redis fails, the new user is
// not written either. inTx, when set, runs in the transaction too (a
// sign-up spends its ticket there).
func (s *Server) enter(c *fiber.Ctx, a users.Attempt, sessionKey string, inTx func() error) (in entered, err error) {
	ctx, t := c.UserContext(), tenantOf(c)
	in.user, in.created, err = s.deps.Users.Enter(ctx, a, func(u *users.User, _ bool) error {
		if u.Banned() {
			return users.ErrBanned
		}
		if inTx != nil {
			if err := inTx(); err != nil {
				return err
			}
		}
		var err error
		in.token, in.session, err = s.deps.Sessions.Create(ctx, sessions.New{
			TenantID: t.ID, UserID: u.ID, AppID: a.AppID, SessionKey: sessionKey,
			TenantEpoch: t.SessionEpoch, UserEpoch: u.SessionEpoch,
			Idle: t.Settings.SessionIdle(), Absolute: t.Settings.SessionAbsolute(),
			IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent),
		})
		return err
	})
	return in, err
}

// loginAnswer is the answer of a mini-program's way in (login, register):
// the session token once, the user, and an access token for the identity
// l that came in; phoneErr, when set, says why a phone was not bound.
func (s *Server) loginAnswer(c *fiber.Ctx, l users.Login, in entered, phoneErr *Error) error {
	body := s.loginBody(c, in.user, in.created, in.token)
	if phoneErr != nil {
		body.PhoneError = &errorBody{Code: phoneErr.Code, Message: phoneErr.Message}
	}
	t := tenantOf(c)
	var appid string
	if app, err := t.AppByID(l.AppID); err == nil {
		appid = app.AppID
	}
	at, err := s.signAccessToken(c.UserContext(), t, in.session, in.user, appid, l.OpenID)
	if err != nil {
		return err
	}
	body.AccessToken, body.AccessTokenExpiresIn = at.AccessToken, at.AccessTokenExpiresIn
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
