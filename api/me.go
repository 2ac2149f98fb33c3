package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/sessions"
	"miniauth/tenants/signin"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

type userJSON struct {
	ID          string     `json:"id"`
	Nickname    string     `json:"nickname"`
	AvatarURL   string     `json:"avatar_url"`
	PhoneBound  bool       `json:"phone_bound"`
	IsNew       *bool      `json:"is_new,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

func newUserJSON(u *users.User, isNew bool) userJSON {
	j := userJSON{ID: u.PublicID, Nickname: u.Nickname, AvatarURL: u.AvatarURL,
		PhoneBound: u.PhoneBound(), CreatedAt: u.CreatedAt.UTC(), LastLoginAt: u.LastLoginAt}
	j.IsNew = &isNew
	return j
}

// requireSession checks the bearer token against the tenant in the path,
// spends one request of the session's budget, and loads its user. A token
// of another tenant is simply unknown here.
func (s *Server) requireSession(c *fiber.Ctx) error { return s.checkSession(c, true) }

// requireSessionToRevoke is requireSession without the session's budget,
// for revocations: someone flooding a stolen token must not keep its owner
// from logging it out.
func (s *Server) requireSessionToRevoke(c *fiber.Ctx) error { return s.checkSession(c, false) }

func (s *Server) checkSession(c *fiber.Ctx, limited bool) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		return sessions.ErrNotFound
	}
	t := tenantOf(c)
	var limit func(string) error
	if limited {
		limit = func(id string) error { return s.limitSession(c, t, id) }
	}
	sess, u, err := s.deps.SignIn.Authenticate(c.UserContext(), t, token, limit)
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)
	c.Locals(localUser, u)
	return c.Next()
}

func sessionOf(c *fiber.Ctx) *sessions.Session {
	s, _ := c.Locals(localSession).(*sessions.Session)
	return s
}

func userOf(c *fiber.Ctx) *users.User {
	u, _ := c.Locals(localUser).(*users.User)
	return u
}

type meResponse struct {
	User userJSON `json:"user"`
}

func (s *Server) me(c *fiber.Ctx) error {
	j := newUserJSON(userOf(c), false)
	j.IsNew = nil
	j.LastLoginAt = users.LastLogin(userOf(c), sessionOf(c).IssuedAt)
	return c.JSON(meResponse{User: j})
}

type updateMeRequest struct {
	Nickname  *string `json:"nickname"`
	AvatarURL *string `json:"avatar_url"`
}

func (r *updateMeRequest) validate(s *Server, c *fiber.Ctx) error {
	if r.AvatarURL != nil {
		if err := s.clientAvatarURL(c, *r.AvatarURL); err != nil {
			return err
		}
	}
	return users.Profile{Nickname: r.Nickname, AvatarURL: r.AvatarURL}.Validate()
}

// updateMe changes the nickname and avatar URL (PATCH /me). A changed
// nickname goes through the tenant's content check first.
func (s *Server) updateMe(c *fiber.Ctx) error {
	var req updateMeRequest
	if err := decodeKnownJSON(c, &req, "nickname", "avatar_url"); err != nil {
		return err
	}
	if err := req.validate(s, c); err != nil {
		return err
	}
	t, u := tenantOf(c), userOf(c)
	var review *wechat.SecCheck
	if req.Nickname != nil && *req.Nickname != u.Nickname {
		app, openid := s.nicknameTarget(c)
		var err error
		if review, err = s.screenNickname(c, app, openid, *req.Nickname); err != nil {
			return err
		}
	}
	updated, err := s.deps.Users.UpdateProfile(c.UserContext(), t.ID, u.ID,
		users.Profile{Nickname: req.Nickname, AvatarURL: req.AvatarURL})
	if err != nil {
		return err
	}
	if req.Nickname != nil {
		s.auditReview(c, u.PublicID, *req.Nickname, review)
	}
	j := newUserJSON(updated, false)
	j.IsNew = nil
	return c.JSON(meResponse{User: j})
}

func (s *Server) logout(c *fiber.Ctx) error {
	sess := sessionOf(c)
	err := s.deps.SignIn.RevokeSession(c.UserContext(), tenantOf(c), userOf(c), sess.ID, sess.ExpiresAt, signin.Revocation{Reason: "logout"})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
