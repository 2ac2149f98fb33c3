package api

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/admins"
)

// The platform admin's management of console accounts (list, invite,
// disable, enable, remove, reset MFA), the platform's settings, and the
// invite page's two calls (docs/console.md). Admins are named by their
// email, normalised, in paths as in bodies.

type listedAdminJSON struct {
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Tenant      string     `json:"tenant,omitempty"` // slug, for tenant admins
	Status      string     `json:"status"`           // active, disabled or invited
	MFA         bool       `json:"mfa"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

type adminsResponse struct {
	Admins []listedAdminJSON `json:"admins"`
}

func (s *Server) adminListAdmins(c *fiber.Ctx) error {
	list, err := s.deps.Accounts.List(c.UserContext(), actorOf(c))
	if err != nil {
		return err
	}
	out := make([]listedAdminJSON, 0, len(list))
	for _, a := range list {
		j := listedAdminJSON{Email: a.Email, Role: a.Role, Tenant: a.TenantSlug.String, Status: a.Status,
			MFA: a.MFA, CreatedAt: a.CreatedAt.UTC()}
		if a.LastLoginAt.Valid {
			at := a.LastLoginAt.Time.UTC()
			j.LastLoginAt = &at
		}
		out = append(out, j)
	}
	return c.JSON(adminsResponse{Admins: out})
}

type inviteAdminRequest struct {
	Email  string `json:"email"`
	Role   string `json:"role"`
	Tenant string `json:"tenant"` // slug; for role "tenant"
}

func (r *inviteAdminRequest) validate() error {
	switch {
	case r.Email == "" || r.Role == "":
		return badRequest("email and role are required")
	case r.Role == admins.RoleTenant && r.Tenant == "":
		return badRequest("a tenant admin needs a tenant")
	case r.Role == admins.RolePlatform && r.Tenant != "":
		return badRequest("a platform admin belongs to no tenant")
	case len(r.Email) > 1024 || len(r.Tenant) > 64:
		return badRequest("email or tenant is too long")
	}
	return nil
}

// inviteJSON is shown once: the token exists nowhere else (MySQL keeps
// its SHA-256). The link puts it in the fragment, which no browser sends.
type inviteJSON struct {
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

type inviteResponse struct {
	Admin  listedAdminJSON `json:"admin"`
	Invite inviteJSON      `json:"invite"`
}

func (s *Server) adminInviteAdmin(c *fiber.Ctx) error {
	var req inviteAdminRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := c.UserContext()
	inv := admins.Invitation{Email: req.Email, Role: req.Role}
	if req.Tenant != "" {
		if !tenants.ValidSlug(req.Tenant) {
			return tenants.ErrNotFound
		}
		t, err := s.deps.Tenants.BySlug(ctx, req.Tenant)
		if err != nil {
			return err
		}
		inv.TenantID = t.ID
	}
	iv, err := s.deps.Accounts.Invite(ctx, actorOf(c), inv)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.inviteResponse(iv, req.Tenant))
}

func (s *Server) inviteResponse(iv *admins.Invite, slug string) inviteResponse {
	a := iv.Admin
	return inviteResponse{
		Admin: listedAdminJSON{Email: a.Email, Role: a.Role, Tenant: slug, Status: a.Status, CreatedAt: a.CreatedAt.UTC()},
		Invite: inviteJSON{Token: iv.Token, URL: strings.TrimSuffix(s.deps.PublicURL, "/") + iv.Path,
			ExpiresAt: iv.ExpiresAt.UTC()},
	}
}

// pathAdmin is the admin named by the :email path parameter.
func (s *Server) pathAdmin(c *fiber.Ctx) (*admins.Admin, error) {
	email, err := url.PathUnescape(c.Params("email"))
	if err != nil {
		return nil, badRequest("malformed email")
	}
	return s.deps.Admins.ByEmail(c.UserContext(), email)
}

func (s *Server) adminReissueInvite(c *fiber.Ctx) error {
	a, err := s.pathAdmin(c)
	if err != nil {
		return err
	}
	iv, err := s.deps.Accounts.ReissueInvite(c.UserContext(), actorOf(c), a.ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.inviteResponse(iv, s.adminJSONOf(c, a).Tenant))
}

type adminStatusResponse struct {
	Admin listedAdminJSON `json:"admin"`
}

// adminSetAdminStatus disables an admin (its console sessions end at
// once) or enables it again.
func (s *Server) adminSetAdminStatus(disable bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, err := s.pathAdmin(c)
		if err != nil {
			return err
		}
		ctx, by := c.UserContext(), actorOf(c)
		if disable {
			err = s.deps.Accounts.Disable(ctx, by, a.ID)
		} else {
			err = s.deps.Accounts.Enable(ctx, by, a.ID)
		}
		if err != nil {
			return err
		}
		if a, err = s.deps.Admins.ByID(ctx, a.ID); err != nil {
			return err
		}
		on, err := s.deps.MFA.Enabled(ctx, a.ID)
		if err != nil {
			return err
		}
		return c.JSON(adminStatusResponse{Admin: listedAdminJSON{Email: a.Email, Role: a.Role,
			Tenant: s.adminJSONOf(c, a).Tenant, Status: a.Status, MFA: on, CreatedAt: a.CreatedAt.UTC()}})
	}
}

func (s *Server) adminRemoveAdmin(c *fiber.Ctx) error {
	a, err := s.pathAdmin(c)
	if err != nil {
		return err
	}
	if err := s.deps.Accounts.Remove(c.UserContext(), actorOf(c), a.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// adminResetMFA turns another admin's MFA off (a lost phone); the admin
// signs in with its password alone and may set it up again.
func (s *Server) adminResetMFA(c *fiber.Ctx) error {
	a, err := s.pathAdmin(c)
	if err != nil {
		return err
	}
	by := actorOf(c)
	if a.ID == by.Admin.ID {
		return badRequest("turn your own MFA off from your account, with a code or your password")
	}
	if err := s.deps.MFA.DisableMFA(c.UserContext(), by, a.ID, ""); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type platformSettingsJSON struct {
	RequireMFAForPlatformAdmins *bool `json:"require_mfa_for_platform_admins"`
}

func (s *Server) adminPlatformSettings(c *fiber.Ctx) error {
	on, err := s.deps.Platform.RequireMFAForPlatformAdmins(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(platformSettingsJSON{RequireMFAForPlatformAdmins: &on})
}

func (s *Server) adminUpdatePlatformSettings(c *fiber.Ctx) error {
	var req platformSettingsJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.RequireMFAForPlatformAdmins == nil {
		return badRequest("require_mfa_for_platform_admins is required")
	}
	if err := s.deps.Platform.SetRequireMFAForPlatformAdmins(c.UserContext(), actorOf(c), *req.RequireMFAForPlatformAdmins); err != nil {
		return err
	}
	return s.adminPlatformSettings(c)
}

// The invite page (/console/#/invite/<token>): no session, the token in
// the body, never in a URL the server sees.

type inviteTokenRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (r *inviteTokenRequest) validate(passwordToo bool) error {
	switch {
	case r.Token == "" || passwordToo && r.Password == "":
		if passwordToo {
			return badRequest("token and password are required")
		}
		return badRequest("token is required")
	case len(r.Token) > 256 || len(r.Password) > 1024:
		return badRequest("token or password is too long")
	}
	return nil
}

type pendingInviteResponse struct {
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Tenant    string    `json:"tenant,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) adminLookupInvite(c *fiber.Ctx) error {
	var req inviteTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(false); err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := s.deps.Accounts.InviteOf(ctx, req.Token)
	if err != nil {
		return err
	}
	out := pendingInviteResponse{Email: p.Email, Role: p.Role, ExpiresAt: p.ExpiresAt.UTC()}
	if p.TenantID != 0 {
		if t, err := s.deps.Tenants.ByID(ctx, p.TenantID); err == nil {
			out.Tenant = t.Slug
		}
	}
	return c.JSON(out)
}

type acceptedInviteResponse struct {
	Admin adminJSON `json:"admin"`
}

// adminAcceptInvite sets the invited admin's password; it then signs in
// as anyone does (and sets up MFA there when the platform requires it).
func (s *Server) adminAcceptInvite(c *fiber.Ctx) error {
	var req inviteTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(true); err != nil {
		return err
	}
	a, err := s.deps.Accounts.AcceptInvite(c.UserContext(), req.Token, req.Password, clientIP(c))
	if err != nil {
		return err
	}
	return c.JSON(acceptedInviteResponse{Admin: s.adminJSONOf(c, a)})
}
