package api

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/signin"
	"miniauth/tenants/users"
)

// A user's ways in: the WeChat identities of the tenant's apps and the
// phone number (docs/api.md, linking).

// wayInJSON is one way in, as the user and the tenant's admins see it.
type wayInJSON struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	AppID      string     `json:"app_id,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

type identitiesResponse struct {
	Identities []wayInJSON `json:"identities"`
}

func waysInJSON(ways []users.WayIn) []wayInJSON {
	out := make([]wayInJSON, 0, len(ways))
	for _, w := range ways {
		out = append(out, wayInJSON{ID: w.ID, Kind: w.Kind, AppID: w.AppID, LastUsedAt: w.LastUsedAt})
	}
	return out
}

// myIdentities lists the signed-in user's ways in
// (GET /me/identities).
func (s *Server) myIdentities(c *fiber.Ctx) error {
	ways, err := s.deps.Users.WaysIn(c.UserContext(), userOf(c))
	if err != nil {
		return err
	}
	return c.JSON(identitiesResponse{Identities: waysInJSON(ways)})
}

// linkRequest is the body of POST /me/identities: the code of another way
// in, made on the same person's phone.
type linkRequest struct {
	Kind  string `json:"kind"`
	Code  string `json:"code"`
	AppID string `json:"appid"`
}

func (r *linkRequest) validate() error {
	switch {
	case r.Kind != tenants.KindMobileApp && r.Kind != tenants.KindMiniProgram:
		return badRequest("kind must be mobileapp (a SendAuth code) or miniprogram (a wx.login code)")
	case r.Code == "":
		return badRequest("code is required")
	case !codeRe.MatchString(r.Code):
		return badRequest("code is malformed")
	case r.AppID != "" && !tenants.ValidAppID(r.AppID):
		return badRequest("appid is malformed")
	}
	return nil
}

// linkIdentity adds a way in to the signed-in user (POST /me/identities):
// 409 identity_in_use when it is someone else's.
func (s *Server) linkIdentity(c *fiber.Ctx) error {
	var req linkRequest
	if err := decodeKnownJSON(c, &req, "kind", "code", "appid"); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx, u := c.UserContext(), userOf(c)
	_, err := s.deps.SignIn.Link(ctx, tenantOf(c), u,
		signin.Link{Kind: req.Kind, Code: req.Code, AppID: req.AppID}, userActor(c, u))
	if errors.Is(err, tenants.ErrAppUnknown) {
		return badRequest("this tenant has no such " + req.Kind + " app")
	}
	if err != nil {
		return err
	}
	ways, err := s.deps.Users.WaysIn(ctx, u)
	if err != nil {
		return err
	}
	return c.JSON(identitiesResponse{Identities: waysInJSON(ways)})
}

// unlinkIdentity removes one of the signed-in user's ways in
// (DELETE /me/identities/{id}), unless it is the last: 409 last_identity.
func (s *Server) unlinkIdentity(c *fiber.Ctx) error {
	u := userOf(c)
	id := strings.Clone(c.Params("id"))
	if err := s.deps.Users.Unlink(c.UserContext(), u.TenantID, u.ID, id, userActor(c, u)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// userActor is the signed-in user, for the audit log.
func userActor(c *fiber.Ctx, u *users.User) audit.Actor {
	return audit.Actor{Type: "user", ID: u.PublicID, IP: clientIP(c)}
}
