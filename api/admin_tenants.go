package api

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/ratelimit"
)

type settingsJSON struct {
	SessionIdleSeconds     int    `json:"session_idle_seconds"`
	SessionAbsoluteSeconds int    `json:"session_absolute_seconds"`
	Registration           string `json:"registration"`
	NicknameCheck          bool   `json:"nickname_check"`
	NicknameCheckFailOpen  bool   `json:"nickname_check_fail_open"`
	AccessTokenOnLogin     bool   `json:"access_token_on_login"`
	// RateLimits are the tenant's budgets (0: the default, in
	// RateLimitDefaults).
	RateLimits        ratelimit.Limits `json:"rate_limits"`
	RateLimitDefaults ratelimit.Limits `json:"rate_limit_defaults"`
}

var rateLimitDefaults = ratelimit.Limits{
	LoginPerTenantPerSecond: ratelimit.DefaultLoginPerTenantPerSecond, LoginPerIPPerMinute: ratelimit.DefaultLoginPerIPPerMinute,
	LoginPerIdentityPerMinute: ratelimit.DefaultLoginPerIdentityPerMinute, SessionPerTokenPerMinute: ratelimit.DefaultSessionPerTokenPerMinute,
	APIKeyPerSecond: ratelimit.DefaultAPIKeyPerSecond}

// appJSON never carries the AppSecret, not even masked: it is write-only.
type appJSON struct {
	AppID     string `json:"appid"`
	Kind      string `json:"kind"`
	IsDefault bool   `json:"is_default"`
}

type tenantJSON struct {
	Slug      string       `json:"slug"`
	Name      string       `json:"name"`
	Status    string       `json:"status"`
	Settings  settingsJSON `json:"settings"`
	Apps      []appJSON    `json:"apps,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
}

func newTenantJSON(t *tenants.Tenant) tenantJSON {
	j := tenantJSON{Slug: t.Slug, Name: t.Name, Status: t.Status, CreatedAt: t.CreatedAt.UTC(),
		Settings: settingsJSON{
			SessionIdleSeconds:     int(t.Settings.SessionIdle().Seconds()),
			SessionAbsoluteSeconds: int(t.Settings.SessionAbsolute().Seconds()),
			Registration:           t.Settings.RegistrationPolicy(),
			NicknameCheck:          t.Settings.NicknameCheckOn(),
			NicknameCheckFailOpen:  t.Settings.NicknameCheckFailsOpen(),
			AccessTokenOnLogin:     t.Settings.AccessTokenOnLoginOn(),
			RateLimits:             t.Settings.RateLimits, RateLimitDefaults: rateLimitDefaults}}
	for _, a := range t.Apps {
		j.Apps = append(j.Apps, appJSON{AppID: a.AppID, Kind: a.Kind, IsDefault: a.IsDefault})
	}
	return j
}

type tenantResponse struct {
	Tenant tenantJSON `json:"tenant"`
}

// adminListTenants: every tenant for a platform admin, its own for a
// tenant admin.
func (s *Server) adminListTenants(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), adminOf(c)
	reg := s.deps.Tenants
	var list []tenants.Tenant
	if a.Role == admins.RolePlatform {
		all, err := reg.List(ctx)
		if err != nil {
			return err
		}
		list = all
	} else if t, err := reg.ByID(ctx, a.TenantID.Int64); err == nil {
		list = append(list, *t)
	} else {
		return err
	}
	out := make([]tenantJSON, 0, len(list))
	for i := range list {
		out = append(out, newTenantJSON(&list[i]))
	}
	return c.JSON(tenantsResponse{Tenants: out})
}

type createTenantRequest struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	AppID  string `json:"appid"`
	Secret string `json:"secret"`
}

func (s *Server) adminCreateTenant(c *fiber.Ctx) error {
	var req createTenantRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := s.deps.Tenants.Create(c.UserContext(), tenants.NewTenant{
		Slug: strings.TrimSpace(req.Slug), Name: strings.TrimSpace(req.Name), AppID: strings.TrimSpace(req.AppID),
		Secret: req.Secret, Actor: adminActor(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tenantResponse{Tenant: newTenantJSON(t)})
}

func (s *Server) adminGetTenant(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	return c.JSON(tenantResponse{Tenant: newTenantJSON(t)})
}

type updateTenantRequest struct {
	Name     *string `json:"name"`
	Settings *struct {
		AccessTokenOnLogin     *bool             `json:"access_token_on_login"`
		SessionIdleSeconds     *int              `json:"session_idle_seconds"`
		SessionAbsoluteSeconds *int              `json:"session_absolute_seconds"`
		Registration           *string           `json:"registration"`
		NicknameCheck          *bool             `json:"nickname_check"`
		NicknameCheckFailOpen  *bool             `json:"nickname_check_fail_open"`
		RateLimits             *ratelimit.Limits `json:"rate_limits"` // replaces them all; 0 is the default
	} `json:"settings"`
}

// adminUpdateTenant changes the name and settings; settings fields left
// out keep their value.
func (s *Server) adminUpdateTenant(c *fiber.Ctx) error {
	var req updateTenantRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	u := tenants.Update{Name: req.Name, Actor: adminActor(c)}
	if req.Settings != nil {
		st := t.Settings
		if v := req.Settings.SessionIdleSeconds; v != nil {
			st.SessionIdleSeconds = *v
		}
		if v := req.Settings.SessionAbsoluteSeconds; v != nil {
			st.SessionAbsoluteSeconds = *v
		}
		if v := req.Settings.Registration; v != nil {
			st.Registration = *v
		}
		if v := req.Settings.NicknameCheck; v != nil {
			st.NicknameCheck = v
		}
		if v := req.Settings.NicknameCheckFailOpen; v != nil {
			st.NicknameCheckFailOpen = v
		}
		if v := req.Settings.AccessTokenOnLogin; v != nil {
			st.AccessTokenOnLogin = v
		}
		if v := req.Settings.RateLimits; v != nil {
			st.RateLimits = *v
		}
		u.Settings = &st
	}
	ctx, reg := c.UserContext(), s.deps.Tenants
	if err := reg.Update(ctx, t.ID, u); err != nil {
		return err
	}
	t, err := reg.ByID(ctx, t.ID)
	if err != nil {
		return err
	}
	return c.JSON(tenantResponse{Tenant: newTenantJSON(t)})
}

// adminSetTenantStatus disables a tenant (every login answers 403
// tenant_disabled and every session dies at once: the epoch rises) or
// enables it again.
func (s *Server) adminSetTenantStatus(status string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t := adminTenantOf(c)
		ctx, reg := c.UserContext(), s.deps.Tenants
		if err := reg.SetStatus(ctx, t.ID, status, adminActor(c)); err != nil {
			return err
		}
		t, err := reg.ByID(ctx, t.ID)
		if err != nil {
			return err
		}
		return c.JSON(tenantResponse{Tenant: newTenantJSON(t)})
	}
}

func (s *Server) adminDeleteTenant(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	if err := s.deps.Tenants.Delete(c.UserContext(), t.ID, adminActor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type tenantAdminJSON struct {
	Email     string    `json:"email"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) adminListTenantAdmins(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	list, err := s.deps.Admins.ListTenant(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	out := make([]tenantAdminJSON, 0, len(list))
	for _, a := range list {
		out = append(out, tenantAdminJSON{Email: a.Email, Status: a.Status, CreatedAt: a.CreatedAt.UTC()})
	}
	return c.JSON(tenantAdminsResponse{Admins: out})
}

type createAdminRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) adminCreateTenantAdmin(c *fiber.Ctx) error {
	var req createAdminRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	a, err := s.deps.Admins.Create(c.UserContext(), admins.New{Email: req.Email, Password: req.Password,
		Role: admins.RoleTenant, TenantID: t.ID, Actor: adminActor(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(tenantAdminResponse{Admin: tenantAdminJSON{
		Email: a.Email, Status: a.Status, CreatedAt: a.CreatedAt.UTC()}})
}

func (s *Server) adminDeleteTenantAdmin(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	email, err := url.PathUnescape(c.Params("email"))
	if err != nil {
		return badRequest("malformed email")
	}
	a, err := s.deps.Admins.ByEmail(c.UserContext(), email)
	if err != nil {
		return err
	}
	if _, err := s.deps.Admins.DeleteTenantAdmin(c.UserContext(), t.ID, a.ID, adminActor(c)); err != nil {
		return err
	}
	if err := s.deps.Console.RevokeAdmin(c.UserContext(), a.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Response bodies of the handlers above.

type tenantsResponse struct {
	Tenants []tenantJSON `json:"tenants"`
}

type tenantAdminsResponse struct {
	Admins []tenantAdminJSON `json:"admins"`
}

type tenantAdminResponse struct {
	Admin tenantAdminJSON `json:"admin"`
}
