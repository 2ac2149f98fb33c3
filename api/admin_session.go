package api

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/admins"
)

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// validate refuses empty and oversized fields. The email's shape is
// judged by admins.NormalizeEmail, after it: a malformed email is a failed
// sign-in like a wrong one.
func (r *signInRequest) validate() error {
	switch {
	case r.Email == "" || r.Password == "":
		return badRequest("email and password are required")
	case len(r.Email) > 1024 || len(r.Password) > 1024:
		return badRequest("email or password is too long")
	}
	return nil
}

type adminJSON struct {
	Email  string `json:"email"`
	Role   string `json:"role"`
	Tenant string `json:"tenant,omitempty"` // slug, for tenant admins
}

type sessionResponse struct {
	Admin     adminJSON `json:"admin"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
	// MFAEnrolmentRequired: the console serves this admin nothing but MFA
	// set-up until it is done (requireEnrolled).
	MFAEnrolmentRequired bool `json:"mfa_enrolment_required"`
}

var (
	errBadCredentials = &Error{Status: 401, Code: CodeInvalidCredentials, Message: "wrong email or password"}
)

// adminSignIn is the first step of a sign-in (admins.SignIn.Password):
// the email and password, slowed down and then locked after repeated
// failures per account and per IP. Unknown emails and wrong passwords get
// the same answer after the same work (a bcrypt comparison, the lockout
// count and an audit entry). An admin with MFA gets an MFA token instead
// of a session, for the second step (adminSignInMFA).
func (s *Server) adminSignIn(c *fiber.Ctx) error {
	var req signInRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	res, err := s.deps.AdminSignIn.Password(c.UserContext(), req.Email, req.Password, clientIP(c))
	if errors.Is(err, admins.ErrBadPassword) {
		return errBadCredentials
	}
	if err != nil {
		return err
	}
	if res.MFAToken != "" {
		return c.JSON(mfaRequiredResponse{MFARequired: true, MFAToken: res.MFAToken, ExpiresAt: res.MFAExpiresAt.UTC()})
	}
	return s.startConsoleSession(c, res.Admin)
}

// startConsoleSession gives a signed-in admin its console session and
// cookie. A new session id at every sign-in: a cookie planted before
// sign-in (session fixation) is worth nothing after it.
func (s *Server) startConsoleSession(c *fiber.Ctx, a *admins.Admin) error {
	ctx := c.UserContext()
	if old, err := s.deps.Console.Get(ctx, c.Cookies(adminCookie)); err == nil {
		_ = s.deps.Console.Revoke(ctx, old)
	}
	token, sess, err := s.deps.Console.Create(ctx, a.ID)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: adminCookie, Value: token, Path: "/admin/api", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode, Expires: sess.ExpiresAt})
	return s.sessionJSON(c, a, sess)
}

func (s *Server) adminSession(c *fiber.Ctx) error {
	sess, _ := c.Locals(localAdminSess).(*admins.ConsoleSession)
	return s.sessionJSON(c, adminOf(c), sess)
}

func (s *Server) adminSignOut(c *fiber.Ctx) error {
	sess, _ := c.Locals(localAdminSess).(*admins.ConsoleSession)
	if err := s.deps.Console.Revoke(c.UserContext(), sess); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: adminCookie, Value: "", Path: "/admin/api", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: -1,
		Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) sessionJSON(c *fiber.Ctx, a *admins.Admin, sess *admins.ConsoleSession) error {
	j := s.adminJSONOf(c, a)
	must, err := s.deps.MFA.MustEnrol(c.UserContext(), a)
	if err != nil {
		return err
	}
	return c.JSON(sessionResponse{Admin: j, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt.UTC(), MFAEnrolmentRequired: must})
}

func (s *Server) adminJSONOf(c *fiber.Ctx, a *admins.Admin) adminJSON {
	j := adminJSON{Email: a.Email, Role: a.Role}
	if a.TenantID.Valid {
		if t, err := s.deps.Tenants.ByID(c.UserContext(), a.TenantID.Int64); err == nil {
			j.Tenant = t.Slug
		}
	}
	return j
}

// secureCookies: the console cookie is Secure when the request came over
// HTTPS or the public URL is HTTPS (behind a TLS-terminating proxy).
func (s *Server) secureCookies(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || strings.HasPrefix(s.deps.PublicURL, "https://")
}
