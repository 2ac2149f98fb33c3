package api

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/signin"
	"miniauth/tenants/users"
)

var (
	errNoSuchUser    = &Error{Status: 404, Code: CodeNotFound, Message: "no such user in this tenant"}
	errNoSuchSession = &Error{Status: 404, Code: CodeNotFound, Message: "no such session of this user"}
)

// adminUserJSON is a user as the tenant's admins see it.
type adminUserJSON struct {
	ID          string     `json:"id"`
	Nickname    string     `json:"nickname"`
	AvatarURL   string     `json:"avatar_url"`
	Phone       string     `json:"phone,omitempty"`
	UnionID     string     `json:"unionid,omitempty"`
	Status      string     `json:"status"`
	BanReason   string     `json:"ban_reason,omitempty"`
	BannedUntil *time.Time `json:"banned_until,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
	// PhoneLastLoginAt is the last sign-in by SMS code.
	PhoneLastLoginAt *time.Time `json:"phone_last_login_at,omitempty"`
}

// newAdminUserJSON shows a ban that has run out as what it is: none.
func newAdminUserJSON(u *users.User) adminUserJSON {
	j := adminUserJSON{ID: u.PublicID, Nickname: u.Nickname, AvatarURL: u.AvatarURL, Status: users.StatusActive,
		CreatedAt: u.CreatedAt.UTC(), LastLoginAt: u.LastLoginAt, PhoneLastLoginAt: u.PhoneLastLoginAt}
	if u.Banned() {
		j.Status, j.BannedUntil = users.StatusBanned, u.BannedUntil
		if u.BanReason != nil {
			j.BanReason = *u.BanReason
		}
	}
	if u.Phone != nil {
		j.Phone = *u.Phone
	}
	if u.UnionID != nil {
		j.UnionID = *u.UnionID
	}
	return j
}

type identityJSON struct {
	ID          string     `json:"id"`   // as DELETE /me/identities/{id} takes it
	Kind        string     `json:"kind"` // the app's: miniprogram, officialaccount, mobileapp, website
	AppID       string     `json:"appid"`
	OpenID      string     `json:"openid"`
	UnionID     string     `json:"unionid,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// sessionJSON shows a session without its token; the id is the token's
// hash, enough to revoke it.
type sessionInfoJSON struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen_at"`
	ExpiresAt time.Time `json:"idle_expires_at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

func (s *Server) adminListUsers(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	page, err := s.deps.Users.List(c.UserContext(), t.ID, users.Query{
		Search: strings.Clone(c.Query("q")), After: strings.Clone(c.Query("after")), Limit: c.QueryInt("limit", 20)})
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, 0, len(page.Users))
	for i := range page.Users {
		out = append(out, newAdminUserJSON(&page.Users[i]))
	}
	return c.JSON(usersResponse{Users: out, Next: page.Next})
}

// adminUser loads the :user of the admin's tenant.
func (s *Server) adminUser(c *fiber.Ctx) (*tenants.Tenant, *users.User, error) {
	t := adminTenantOf(c)
	u, err := s.deps.Users.ByPublicID(c.UserContext(), t.ID, c.Params("user"))
	if errors.Is(err, users.ErrNotFound) {
		return nil, nil, errNoSuchUser
	}
	return t, u, err
}

func (s *Server) adminGetUser(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ids, err := s.deps.Users.Identities(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	idj := make([]identityJSON, 0, len(ids))
	for _, i := range ids {
		j := identityJSON{ID: strconv.FormatInt(i.ID, 10), Kind: i.Kind, AppID: i.AppID, OpenID: i.OpenID, CreatedAt: i.CreatedAt.UTC(), LastLoginAt: i.LastLoginAt}
		if i.UnionID != nil {
			j.UnionID = *i.UnionID
		}
		idj = append(idj, j)
	}
	sess, err := s.userSessions(c, t, u)
	if err != nil {
		return err
	}
	return c.JSON(userDetailResponse{User: newAdminUserJSON(u), Identities: idj, Sessions: sess})
}

func (s *Server) userSessions(c *fiber.Ctx, t *tenants.Tenant, u *users.User) ([]sessionInfoJSON, error) {
	list, err := s.deps.Sessions.ListUser(c.UserContext(), t.ID, u.ID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]sessionInfoJSON, 0, len(list))
	for _, i := range list {
		// Last seen is the session's last use, as the store noted it
		// (sessions/activity.go), true to within the slide step.
		out = append(out, sessionInfoJSON{ID: i.ID, CreatedAt: i.IssuedAt.UTC(), LastSeen: i.LastSeen.UTC().Truncate(time.Second),
			ExpiresAt: now.Add(i.ExpiresIn).UTC().Truncate(time.Second), IP: i.IP, UserAgent: i.UserAgent})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].CreatedAt.After(out[b].CreatedAt) })
	return out, nil
}

// adminBanUser bans (its sessions die at once, its next login gets 403
// user_banned until the ban's end, if it has one) or unbans a user. A ban
// may carry a body: {"reason", "until"} (banRequest, admin_user_data.go).
func (s *Server) adminBanUser(ban bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, u, err := s.adminUser(c)
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		if ban {
			b, err := banOf(c)
			if err != nil {
				return err
			}
			err = s.deps.Users.Ban(ctx, t.ID, u.ID, b, adminActor(c))
			if err != nil {
				return err
			}
		} else if err := s.deps.Users.SetBanned(ctx, t.ID, u.ID, false, adminActor(c)); err != nil {
			return err
		}
		if ban {
			// The epoch already refuses them; deleting them frees Redis.
			if _, err := s.deps.Sessions.RevokeUser(ctx, t.ID, u.ID); err != nil {
				return err
			}
		}
		u, err = s.deps.Users.ByID(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		return c.JSON(adminUserResponse{User: newAdminUserJSON(u)})
	}
}

// adminDeleteUser removes the user, its identities and sessions; the audit
// log keeps a tombstone.
func (s *Server) adminDeleteUser(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := s.deps.Users.Delete(ctx, t.ID, u.ID, adminActor(c)); err != nil {
		return err
	}
	if _, err := s.deps.Sessions.RevokeUser(ctx, t.ID, u.ID); err != nil {
		return err // the sessions are dead anyway: their user is gone
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminUserSessions(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	list, err := s.userSessions(c, t, u)
	if err != nil {
		return err
	}
	return c.JSON(sessionsResponse{Sessions: list})
}

func (s *Server) adminRevokeSession(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	ctx, id := c.UserContext(), c.Params("session")
	list, err := s.deps.Sessions.ListUser(ctx, t.ID, u.ID)
	if err != nil {
		return err
	}
	found := false
	for _, i := range list {
		found = found || i.ID == id
	}
	if !found {
		return errNoSuchSession
	}
	err = s.deps.SignIn.RevokeSession(ctx, t, u, id, time.Now().Add(t.Settings.SessionAbsolute()),
		signin.Revocation{Reason: "admin", Actor: adminActor(c)})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminRevokeUserSessions(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	n, err := s.deps.SignIn.RevokeUser(c.UserContext(), t, u, adminActor(c))
	if err != nil {
		return err
	}
	return c.JSON(revokedResponse{Revoked: n})
}

// adminRevokeTenantSessions ends every session of the tenant at once (an
// epoch bump, O(1)).
func (s *Server) adminRevokeTenantSessions(c *fiber.Ctx) error {
	if err := s.deps.SignIn.RevokeTenant(c.UserContext(), adminTenantOf(c), adminActor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Response bodies of the handlers above.

type usersResponse struct {
	Users []adminUserJSON `json:"users"`
	Next  string          `json:"next"` // the cursor of the next page; "" at the end
}

type userDetailResponse struct {
	User       adminUserJSON     `json:"user"`
	Identities []identityJSON    `json:"identities"`
	Sessions   []sessionInfoJSON `json:"sessions"`
}

type adminUserResponse struct {
	User adminUserJSON `json:"user"`
}

type sessionsResponse struct {
	Sessions []sessionInfoJSON `json:"sessions"`
}

type revokedResponse struct {
	Revoked int `json:"revoked"` // how many sessions were live
}
