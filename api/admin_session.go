package api

import (
	"errors"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/admins"
)

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (r *signInRequest) validate() error {
	r.Email = strings.ToLower(strings.TrimSpace(r.Email))
	switch {
	case r.Email == "" || r.Password == "":
		return badRequest("email and password are required")
	case len(r.Email) > 254 || len(r.Password) > 1024:
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
// the lockout count and an audit entry).
func (s *Server) adminSignIn(c *fiber.Ctx) error {
	var req signInRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx, ip := c.UserContext(), clientIP(c)
	if wait, err := s.deps.Lockout.Wait(ctx, req.Email, ip); err != nil {
		return err
	} else if wait > 0 {
		return &Error{Status: 429, Code: CodeRateLimited, RetryAfter: int(math.Ceil(wait.Seconds())),
			Message: "too many failed sign-ins; wait before trying again"}
	}
	a, err := s.deps.Admins.Authenticate(ctx, req.Email, req.Password)
	if errors.Is(err, admins.ErrBadPassword) {
		return s.signInFailed(c, req.Email)
	}
	if err != nil {
		return err
	}
	if err := s.deps.Lockout.Success(ctx, req.Email); err != nil {
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
	_ = s.deps.Tenants.Registry().RecordAuditNow(ctx, tenants.AuditEntry{TenantID: a.TenantID.Int64,
		Actor:  tenants.Actor{Type: "admin", ID: a.Email, IP: ip},
		Action: "admin.signed_in", TargetType: "admin", TargetID: clipID(a.Email)})
	c.Cookie(&fiber.Cookie{Name: adminCookie, Value: token, Path: "/admin/api", HTTPOnly: true,
		Secure: s.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode, Expires: sess.ExpiresAt})
	return s.sessionJSON(c, a, sess)
}

// signInFailed counts the failure, writes it (and a lockout) to the audit
// log of the admin's tenant when the account exists, and answers 401.
func (s *Server) signInFailed(c *fiber.Ctx, email string) error {
	ctx, ip := c.UserContext(), clientIP(c)
	locked, err := s.deps.Lockout.Failure(ctx, email, ip)
	if err != nil {
		return err
	}
	var tenantID int64
	if a, err := s.deps.Admins.ByEmail(ctx, email); err == nil {
		tenantID = a.TenantID.Int64
	}
	actor := tenants.Actor{Type: "anonymous", ID: clipID(email), IP: ip}
	reg := s.deps.Tenants.Registry()
	_ = reg.RecordAuditNow(ctx, tenants.AuditEntry{TenantID: tenantID, Actor: actor,
		Action: "admin.signin_failed", TargetType: "admin", TargetID: clipID(email)})
	if locked {
		_ = reg.RecordAuditNow(ctx, tenants.AuditEntry{TenantID: tenantID, Actor: actor,
			Action: "admin.locked_out", TargetType: "admin", TargetID: clipID(email)})
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
		if t, err := s.deps.Tenants.Registry().ByID(c.UserContext(), a.TenantID.Int64); err == nil {
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

// clipID fits s into an audit id column.
func clipID(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
