package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/loginlog"
	"miniauth/tenants/users"
)

// A user's ban, login history and the tenant's user export, below
// /admin/api/tenants/:tenant/users (routes.go).

// banRequest is the optional body of POST /users/{user}/ban.
type banRequest struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until"` // RFC 3339; null or absent: until lifted
}

// banOf reads a ban's body; none at all is a ban without reason or end.
func banOf(c *fiber.Ctx) (users.Ban, error) {
	if len(strings.TrimSpace(string(c.Body()))) == 0 {
		return users.Ban{}, nil
	}
	var req banRequest
	if err := decodeKnownJSON(c, &req, "reason", "until"); err != nil {
		return users.Ban{}, err
	}
	return users.Ban{Reason: strings.Clone(req.Reason), Until: req.Until}, nil
}

type loginJSON struct {
	At        time.Time `json:"at"`
	AppID     string    `json:"appid"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Way       string    `json:"way"` // how the user came in (tenants/stats), "" for logins before it was kept
}

type loginsResponse struct {
	Logins []loginJSON `json:"logins"`
}

// adminUserLogins is the user's last logins, newest first (?limit=, 20 by
// default, at most 100), from the login history in MySQL
// (tenants/loginlog). The history is written in batches: a login of the
// last fraction of a second may not be there yet.
func (s *Server) adminUserLogins(c *fiber.Ctx) error {
	t, u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	limit := c.QueryInt("limit", 20)
	if limit <= 0 || limit > loginlog.MaxLimit {
		return badRequest("limit must be between 1 and 100")
	}
	list, err := s.deps.LoginHistory.List(c.UserContext(), t.ID, u.ID, limit)
	if err != nil {
		return err
	}
	out := make([]loginJSON, 0, len(list))
	for _, l := range list {
		out = append(out, loginJSON{At: l.At.UTC(), AppID: appidOf(t, l.AppID), IP: l.IP, UserAgent: l.Device, Way: l.Way})
	}
	return c.JSON(loginsResponse{Logins: out})
}

// appidOf is the AppID of one of t's apps by its row id ("" for an app
// removed since).
func appidOf(t *tenants.Tenant, id int64) string {
	for _, a := range t.Apps {
		if a.ID == id {
			return a.AppID
		}
	}
	return ""
}

// exportColumns are the columns of the users export: what the console
// shows of a user, nothing secret.
var exportColumns = []string{"id", "nickname", "phone", "unionid", "status", "ban_reason", "banned_until", "created_at", "last_login_at"}

// exportTimeout bounds a whole export, which outlives the handler.
const exportTimeout = 10 * time.Minute

// adminExportUsers streams the tenant's users as CSV, newest first, a
// page of the store at a time: memory stays flat whatever the tenant's
// size. The stream runs after the handler returns, so it holds nothing of
// the request but copies.
func (s *Server) adminExportUsers(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), exportTimeout)
	// The first page is read here, so that a failing database is a clean
	// 5xx rather than a cut-off file.
	first, err := s.deps.Users.List(ctx, t.ID, users.Query{Limit: 100})
	if err != nil {
		cancel()
		return err
	}
	tenantID, slug, rid := t.ID, strings.Clone(t.Slug), strings.Clone(requestIDOf(c))
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+slug+`-users.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		cw := csv.NewWriter(w)
		_ = cw.Write(exportColumns)
		page := first
		for {
			for i := range page.Users {
				_ = cw.Write(exportRow(&page.Users[i]))
			}
			cw.Flush()
			if cw.Error() != nil || page.Next == "" {
				break
			}
			if err := w.Flush(); err != nil {
				return // the client went away
			}
			page, err = s.deps.Users.List(ctx, tenantID, users.Query{After: page.Next, Limit: 100})
			if err != nil {
				// Too late for a status: the file ends short, and says so.
				s.log.Error("users export cut short", "request_id", rid, "tenant", slug, "err", err)
				_, _ = w.WriteString("# export incomplete: a server error, try again\n")
				break
			}
		}
		_ = w.Flush()
	})
	return nil
}

func exportRow(u *users.User) []string {
	j := newAdminUserJSON(u)
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return []string{j.ID, cell(j.Nickname), j.Phone, j.UnionID, j.Status, cell(j.BanReason), at(j.BannedUntil),
		j.CreatedAt.Format(time.RFC3339), at(j.LastLoginAt)}
}

// cell keeps a text a spreadsheet would read as a formula (=, +, -, @, a
// tab or a carriage return first) a text, with a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
