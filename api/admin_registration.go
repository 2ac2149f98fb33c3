package api

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/users"
)

// Admin endpoints of registration (docs/registration.md), below
// /admin/api/tenants/:tenant (routes.go); the registration policy itself
// is a tenant setting (PATCH /tenants/{slug}).

// adminImportUsers imports the tenant's existing users from CSV
// (Content-Type text/csv; header phone,name,external_id) or JSON (an array
// of {"phone","name","external_id"}). 200 with counts, or 400 with the
// lines at fault and nothing written.
func (s *Server) adminImportUsers(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	body := bytes.NewReader(bytes.Clone(c.Body()))
	var rows []users.ImportRow
	var err error
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), "text/csv") {
		rows, err = users.ParseImportCSV(body)
	} else {
		rows, err = users.ParseImportJSON(body)
	}
	if err != nil {
		return err
	}
	res, err := s.deps.Users.Import(c.UserContext(), t.ID, rows, adminActor(c))
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return c.Status(fiber.StatusBadRequest).JSON(importRefusedResponse{Error: importRefusedJSON{
			errorJSON: errorJSON{Code: CodeInvalidRequest, Message: "some lines are invalid; nothing was imported", RequestID: requestIDOf(c)},
			Lines:     res.Errors}})
	}
	return c.JSON(res)
}

type webSettingsJSON struct {
	AllowedOrigins []string `json:"allowed_origins"`
	RedirectURIs   []string `json:"redirect_uris"`
}

func (s *Server) adminGetWeb(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	return c.JSON(webSettingsJSON{AllowedOrigins: nonNil(t.Settings.AllowedOrigins), RedirectURIs: nonNil(t.Settings.RedirectURIs)})
}

// adminSetWeb replaces the tenant's CORS origins and web OAuth redirect
// URIs.
func (s *Server) adminSetWeb(c *fiber.Ctx) error {
	var req webSettingsJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	st := t.Settings
	st.AllowedOrigins, st.RedirectURIs = req.AllowedOrigins, req.RedirectURIs
	if err := s.deps.Tenants.Update(c.UserContext(), t.ID, tenants.Update{Settings: &st, Actor: adminActor(c)}); err != nil {
		return err
	}
	return c.JSON(webSettingsJSON{AllowedOrigins: nonNil(st.AllowedOrigins), RedirectURIs: nonNil(st.RedirectURIs)})
}

type officialAccountRequest struct {
	AppID  string `json:"appid"`
	Secret string `json:"secret"`
}

// adminAddOfficialAccount adds an official account for web OAuth; its
// AppSecret is write-only, like a mini-program's.
func (s *Server) adminAddOfficialAccount(c *fiber.Ctx) error {
	var req officialAccountRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := adminTenantOf(c)
	if err := s.deps.Tenants.AddOfficialAccount(c.UserContext(), t.ID,
		tenants.NewApp{AppID: req.AppID, Secret: req.Secret, Actor: adminActor(c)}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(addedAppResponse{AppID: req.AppID, Kind: tenants.KindOfficialAccount})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Response bodies of the handlers above.

type addedAppResponse struct {
	AppID string `json:"appid"`
	Kind  string `json:"kind"`
}

// importRefusedResponse is the error envelope of an import with invalid
// lines, which names them.
type importRefusedResponse struct {
	Error importRefusedJSON `json:"error"`
}

type importRefusedJSON struct {
	errorJSON
	Lines []users.ImportError `json:"lines"`
}
