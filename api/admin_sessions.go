package api

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

// The tenant's sessions list: GET /admin/api/tenants/:tenant/sessions.
//
// Redis indexes sessions by user only (sessions.Store), so the list walks
// the users who logged in within the absolute session lifetime, latest
// login first (MySQL, index ix_users_tenant_last_login, which holds the row id too), and reads their
// sessions from their per-user indexes: O(page) per request, never a SCAN.
// A page ends at a user's boundary; the cursor is the public id of the
// last user read.

// tenantSessionJSON is a session in the tenant's list: sessionInfoJSON
// with whose and which app's it is.
type tenantSessionJSON struct {
	sessionInfoJSON
	User     string `json:"user"` // the user's public id
	Nickname string `json:"nickname"`
	AppID    string `json:"appid"`
}

type tenantSessionsResponse struct {
	Sessions []tenantSessionJSON `json:"sessions"`
	Next     string              `json:"next"` // the cursor of the next page; "" at the end
}

// maxSessionBatches bounds the users one page may read while a filter by
// app finds nothing: a page may come back short (even empty) with a next
// cursor.
const maxSessionBatches = 5

var errNotTenantApp = &Error{Status: fiber.StatusBadRequest, Code: CodeInvalidRequest, Message: "app is not an AppID of this tenant"}

func (s *Server) adminListSessions(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	ctx := c.UserContext()
	limit := c.QueryInt("limit", 20)
	if limit <= 0 || limit > 100 {
		return badRequest("limit must be between 1 and 100")
	}
	appFilter := int64(0)
	if a := c.Query("app"); a != "" {
		for _, app := range t.Apps {
			if app.AppID == a {
				appFilter = app.ID
			}
		}
		if appFilter == 0 {
			return errNotTenantApp
		}
	}
	if pub := c.Query("user"); pub != "" {
		u, err := s.deps.Users.ByPublicID(ctx, t.ID, pub)
		if errors.Is(err, users.ErrNotFound) {
			return errNoSuchUser
		}
		if err != nil {
			return err
		}
		out, err := s.sessionsOf(c, []users.User{*u}, appFilter)
		if err != nil {
			return err
		}
		return c.JSON(tenantSessionsResponse{Sessions: out})
	}
	out := []tenantSessionJSON{}
	cursor, next := strings.Clone(c.Query("cursor")), ""
	since := time.Now().Add(-t.Settings.SessionAbsolute())
	for batch := 0; batch < maxSessionBatches && len(out) < limit; batch++ {
		page, err := s.deps.Users.Recent(ctx, t.ID, since, cursor, limit)
		if errors.Is(err, users.ErrNotFound) {
			return badRequest("cursor is not a page of this list")
		}
		if err != nil {
			return err
		}
		found, err := s.sessionsOf(c, page.Users, appFilter)
		if err != nil {
			return err
		}
		out, cursor, next = append(out, found...), page.Next, page.Next
		if next == "" {
			break
		}
	}
	return c.JSON(tenantSessionsResponse{Sessions: out, Next: next})
}

// sessionsOf lists the live sessions of owners, of one app if appFilter
// is set, newest first within each user.
func (s *Server) sessionsOf(c *fiber.Ctx, owners []users.User, appFilter int64) ([]tenantSessionJSON, error) {
	t := adminTenantOf(c)
	ids := make([]int64, len(owners))
	byID := make(map[int64]*users.User, len(owners))
	for i := range owners {
		ids[i], byID[owners[i].ID] = owners[i].ID, &owners[i]
	}
	list, err := s.deps.Sessions.ListUsers(c.UserContext(), t.ID, ids, t.SessionEpoch)
	if err != nil {
		return nil, err
	}
	// The owners' order (latest login first), then newest session first.
	order := make(map[int64]int, len(owners))
	for k := range owners {
		order[owners[k].ID] = k
	}
	sort.Slice(list, func(a, b int) bool {
		if oa, ob := order[list[a].UserID], order[list[b].UserID]; oa != ob {
			return oa < ob
		}
		return list[a].IssuedAt.After(list[b].IssuedAt)
	})
	now := time.Now()
	out := make([]tenantSessionJSON, 0, len(list))
	for _, i := range list {
		u := byID[i.UserID]
		if u == nil || appFilter != 0 && i.AppID != appFilter || i.UserEpoch < u.SessionEpoch {
			continue
		}
		out = append(out, tenantSessionJSON{sessionInfoJSON: sessionInfo(i, now), User: u.PublicID,
			Nickname: u.Nickname, AppID: appidOf(t, i.AppID)})
	}
	return out, nil
}

func sessionInfo(i sessions.Info, now time.Time) sessionInfoJSON {
	return sessionInfoJSON{ID: i.ID, CreatedAt: i.IssuedAt.UTC(), LastSeen: i.LastSeen.UTC().Truncate(time.Second),
		ExpiresAt: now.Add(i.ExpiresIn).UTC().Truncate(time.Second), IP: i.IP, UserAgent: i.UserAgent}
}
