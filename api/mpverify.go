package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
)

// Official accounts' domain verification files (docs/registration.md):
// WeChat fetches MP_verify_<token>.txt from the root of the domain an
// admin enters as the account's web-authorization domain. Admins manage
// them below /admin/api/tenants/:tenant (routes.go).

type verifyFileJSON struct {
	Name      string    `json:"name"`
	Content   string    `json:"content"`
	URLPath   string    `json:"url_path"`
	UpdatedAt time.Time `json:"updated_at"`
}

func newVerifyFileJSON(f *tenants.VerifyFile) verifyFileJSON {
	return verifyFileJSON{Name: f.Name, Content: string(f.Content), URLPath: "/" + f.Name, UpdatedAt: f.UpdatedAt.UTC()}
}

type putVerifyFileRequest struct {
	Content string `json:"content"`
}

func (s *Server) adminListVerifyFiles(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	list, err := s.deps.Tenants.VerifyFiles(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	out := make([]verifyFileJSON, 0, len(list))
	for i := range list {
		out = append(out, newVerifyFileJSON(&list[i]))
	}
	return c.JSON(verifyFilesResponse{Files: out})
}

// adminVerifyFile loads the tenant's file named in the path; another
// tenant's is not found, exactly as a missing one.
func (s *Server) adminVerifyFile(c *fiber.Ctx) (*tenants.VerifyFile, error) {
	t := adminTenantOf(c)
	f, err := s.deps.Tenants.VerifyFile(c.UserContext(), c.Params("name"))
	if err != nil {
		return nil, err
	}
	if f.TenantID != t.ID {
		return nil, tenants.ErrNoVerifyFile
	}
	return f, nil
}

func (s *Server) adminGetVerifyFile(c *fiber.Ctx) error {
	f, err := s.adminVerifyFile(c)
	if err != nil {
		return err
	}
	return c.JSON(verifyFileResponse{File: newVerifyFileJSON(f)})
}

// adminPutVerifyFile uploads or replaces a file: PUT /mp-verify/{name}
// {"content"}. A name another tenant has is 409.
func (s *Server) adminPutVerifyFile(c *fiber.Ctx) error {
	var req putVerifyFileRequest
	if err := decodeKnownJSON(c, &req, "content"); err != nil {
		return err
	}
	t := adminTenantOf(c)
	name := string([]byte(c.Params("name")))
	if err := s.deps.Tenants.PutVerifyFile(c.UserContext(), t.ID, name, []byte(req.Content), adminActor(c)); err != nil {
		return err
	}
	return s.adminGetVerifyFile(c)
}

func (s *Server) adminDeleteVerifyFile(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	if err := s.deps.Tenants.DeleteVerifyFile(c.UserContext(), t.ID, c.Params("name"), adminActor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// mpVerifyFile serves GET /MP_verify_<token>.txt, byte for byte as the
// tenant uploaded it. Other root paths go on to 404.
func (s *Server) mpVerifyFile(c *fiber.Ctx) error {
	name := c.Params("file")
	if !tenants.ValidVerifyFileName(name) {
		return c.Next()
	}
	f, err := s.deps.Tenants.VerifyFile(c.UserContext(), name)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.Send(f.Content)
}

// Response bodies of the handlers above.

type verifyFilesResponse struct {
	Files []verifyFileJSON `json:"files"`
}

type verifyFileResponse struct {
	File verifyFileJSON `json:"file"`
}
