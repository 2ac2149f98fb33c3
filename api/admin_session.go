package api

import (
	"errors"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/admins"
	"miniauth/tenants/audit"
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
}

var (
	errBadCredentials = &Error{Status: 401, Code: CodeInvalidCredentials, Message: "wrong email or password"}
)

// adminSignIn checks an email and password, slowing down and then locking
// repeated failures per account and per IP. Unknown emails and wrong
// passwords get the same answer after the same work (a bcrypt comparison,
// the lockout count and an audit entry). The email is normalised once,
// before all of it, so that every spelling of an admin is one account.
func (s *Server) adminSignIn(c *fiber.Ctx) error {
	var req signInRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	// A malformed email ("" from here on) reaches no admin: it is counted
	// per IP only, costs no bcrypt, and what was typed (often the password,
	// in the wrong field) is kept nowhere.
	email, _ := admins.NormalizeEmail(req.Email)
	ctx, ip := c.UserContext(), clientIP(c)
	if wait, err := s.deps.Lockout.Wait(ctx, email, ip); err != nil {
		return err
	} else if wait > 0 {
		return &Error{Status: 429, Code: CodeRateLimited, RetryAfter: int(math.Ceil(wait.Seconds())),
			Message: "too many failed sign-ins; wait before trying again"}
	}
	if email == "" {
		return s.signInFailed(c, "")
	}
	a, err := s.deps.Admins.Authenticate(ctx, email, req.Password)
	if errors.Is(err, admins.ErrBadPassword) {
		return s.signInFailed(c, email)
	}
	if err != nil {
		return err
	}
	if err := s.deps.Lockout.Success(ctx, email); err != nil {
		return err
	}
	// A new session id at every sign-in: a cookie planted before sign-in
	// (session fixation) is worth nothing after it.
	if old, err := s.deps.Console.Get(ctx, c.Cookies(adminCookie)); err == nil {
		_ = s.deps.Console.Revoke(ctx, old)
	}
	token, sess, err := s.deps.Console.Create(ctx, a.ID)
	if err != nil {
		return err
	}
	_ = s.deps.Admins.TouchLogin(ctx, a.ID)
	s.audit(c, audit.Entry{TenantID: a.TenantID.Int64,
		Actor:  audit.Actor{Type: "admin", ID: a.Email, IP: ip},
		Action: "admin.signed_in", TargetType: "admin", TargetID: a.Email})
	c.Cookie(&fiber.Cookie{Name: adminCookie, Value: token, Path: "/admin/api", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode, Expires: sess.ExpiresAt})
	return s.sessionJSON(c, a, sess)
}

// signInFailed counts the failure, writes it (and a lockout) to the audit
// log of the admin's tenant when the account exists, and answers 401.
// email is normalised, or "" when what was typed is no address: the
// audit entry then says so and holds nothing of it.
func (s *Server) signInFailed(c *fiber.Ctx, email string) error {
	ctx, ip := c.UserContext(), clientIP(c)
	locked, err := s.deps.Lockout.Failure(ctx, email, ip)
	if err != nil {
		return err
	}
	var tenantID int64
	var details map[string]any
	if email == "" {
		details = map[string]any{"email": "malformed"}
	} else if a, err := s.deps.Admins.ByEmail(ctx, email); err == nil {
		tenantID = a.TenantID.Int64
	}
	actor := audit.Actor{Type: "anonymous", ID: email, IP: ip}
	s.audit(c, audit.Entry{TenantID: tenantID, Actor: actor,
		Action: "admin.signin_failed", TargetType: "admin", TargetID: email, Details: details})
	if locked {
		s.audit(c, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "admin.locked_out", TargetType: "admin", TargetID: email, Details: details})
	}
	return errBadCredentials
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
	j := adminJSON{Email: a.Email, Role: a.Role}
	if a.TenantID.Valid {
		if t, err := s.deps.Tenants.ByID(c.UserContext(), a.TenantID.Int64); err == nil {
			j.Tenant = t.Slug
		}
	}
	return c.JSON(sessionResponse{Admin: j, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt.UTC()})
}

// secureCookies: the console cookie is Secure when the request came over
// HTTPS or the public URL is HTTPS (behind a TLS-terminating proxy).
func (s *Server) secureCookies(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || strings.HasPrefix(s.deps.PublicURL, "https://")
}
