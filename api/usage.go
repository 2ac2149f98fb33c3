package api

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/stats"
)

// The charts of use (docs/api.md "Usage", docs/console.md "Charts of
// use"): what the sign-in core counted, the history from usage_daily and
// today live from Redis. Nothing here scans a table: the history is read
// by its primary key (one tenant) or its day index (the platform).

// usageAppJSON is one app's totals; an app that was removed since keeps
// its history, without its appid.
type usageAppJSON struct {
	AppID    string `json:"appid"` // "" for no app (an SMS login) or a removed app
	Kind     string `json:"kind,omitempty"`
	Removed  bool   `json:"removed,omitempty"`
	Logins   int64  `json:"logins"`
	NewUsers int64  `json:"new_users"`
	Failed   int64  `json:"failed"`
}

// usageWayJSON is one way in's totals.
type usageWayJSON struct {
	Way      stats.Way `json:"way"`
	Logins   int64     `json:"logins"`
	NewUsers int64     `json:"new_users"`
	Failed   int64     `json:"failed"`
}

// usageResponse is a tenant's use over the last days.
type usageResponse struct {
	Zone  string    `json:"zone"`
	AppID string    `json:"appid,omitempty"` // the app asked for
	Way   stats.Way `json:"way,omitempty"`   // the way in asked for
	stats.Daily
	MAU           int64              `json:"mau"`
	FailedByCause []stats.CauseCount `json:"failed_by_cause"`
	Apps          []usageAppJSON     `json:"apps"`
	Ways          []usageWayJSON     `json:"ways"`
}

// usageTenantJSON is one tenant in the platform's top list.
type usageTenantJSON struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Logins   int64  `json:"logins"`
	NewUsers int64  `json:"new_users"`
	Failed   int64  `json:"failed"`
}

// platformUsageResponse is every tenant's use together, with the tenants
// that logged in most.
type platformUsageResponse struct {
	Zone string `json:"zone"`
	stats.Daily
	MAU           int64              `json:"mau"`
	FailedByCause []stats.CauseCount `json:"failed_by_cause"`
	TenantCount   int                `json:"tenant_count"` // tenants with any use in the window
	Tenants       []usageTenantJSON  `json:"tenants"`      // the first topTenants of them, most logins first
}

// topTenants is how many tenants the platform overview lists.
const topTenants = 20

// usageDays reads ?days= (default 30).
func usageDays(c *fiber.Ctx) (int, error) {
	v := c.Query("days")
	if v == "" {
		return 30, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > stats.MaxDays {
		return 0, badRequest("days must be a whole number of days from 1 to " + strconv.Itoa(stats.MaxDays) + " (the console asks 30 or 90)")
	}
	return n, nil
}

// adminTenantUsage answers GET /admin/api/tenants/{tenant}/usage?days&app&way.
func (s *Server) adminTenantUsage(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	days, err := usageDays(c)
	if err != nil {
		return err
	}
	q := stats.Query{Days: days, Way: stats.Way(strings.Clone(c.Query("way")))}
	if q.Way != "" && !validWay(q.Way) {
		return badRequest("way must be one of miniprogram, oauth, sms, app, website")
	}
	appid := strings.Clone(c.Query("app"))
	if appid != "" {
		app, err := appOfTenant(t, appid)
		if err != nil {
			return err
		}
		q.AppID = app.ID
	}
	u, err := s.deps.Usage.Tenant(c.UserContext(), t.ID, q)
	if err != nil {
		return usageError(err)
	}
	res := usageResponse{Zone: u.Zone, AppID: appid, Way: u.Way, Daily: u.Daily, MAU: u.MAU,
		FailedByCause: u.FailedByCause, Apps: make([]usageAppJSON, 0, len(u.Apps)), Ways: make([]usageWayJSON, 0, len(u.Ways))}
	for _, b := range u.Apps {
		a := usageAppJSON{Logins: b.Logins, NewUsers: b.NewUsers, Failed: b.Failed}
		if app, err := t.AppByID(b.AppID); err == nil {
			a.AppID, a.Kind = app.AppID, app.Kind
		} else if b.AppID != 0 {
			a.Removed = true
		}
		res.Apps = append(res.Apps, a)
	}
	for _, b := range u.Ways {
		res.Ways = append(res.Ways, usageWayJSON{Way: b.Way, Logins: b.Logins, NewUsers: b.NewUsers, Failed: b.Failed})
	}
	return c.JSON(res)
}

// adminPlatformUsage answers GET /admin/api/usage?days (platform admins).
func (s *Server) adminPlatformUsage(c *fiber.Ctx) error {
	days, err := usageDays(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Usage.Platform(c.UserContext(), days)
	if err != nil {
		return usageError(err)
	}
	res := platformUsageResponse{Zone: p.Zone, Daily: p.Daily, MAU: p.MAU, FailedByCause: p.FailedByCause,
		TenantCount: len(p.Tenants), Tenants: make([]usageTenantJSON, 0, min(len(p.Tenants), topTenants))}
	for _, t := range p.Tenants[:min(len(p.Tenants), topTenants)] {
		res.Tenants = append(res.Tenants, usageTenantJSON{Slug: t.Slug, Name: t.Name, Logins: t.Logins, NewUsers: t.NewUsers, Failed: t.Failed})
	}
	return c.JSON(res)
}

// appOfTenant finds an app of any kind by its appid.
func appOfTenant(t *tenants.Tenant, appid string) (*tenants.App, error) {
	for i := range t.Apps {
		if t.Apps[i].AppID == appid {
			return &t.Apps[i], nil
		}
	}
	return nil, badRequest("app is not an appid of this tenant")
}

func validWay(w stats.Way) bool {
	for _, v := range stats.Ways {
		if w == v {
			return true
		}
	}
	return false
}

// usageError maps a query the store refuses to 400 (the checks above
// should have caught it first).
func usageError(err error) error {
	if errors.Is(err, stats.ErrBadQuery) {
		return badRequest("days, app or way is out of range")
	}
	return err
}

// loginWay is the way in of a login route, for a refusal before the
// sign-in core is reached (limitLogin); "" where the route does not tell
// (a sign-up with a ticket).
func loginWay(c *fiber.Ctx) stats.Way {
	p := c.Route().Path
	switch {
	case strings.HasSuffix(p, "/login"):
		return stats.WayMiniProgram
	case strings.HasSuffix(p, "/login/sms"):
		return stats.WaySMS
	case strings.HasSuffix(p, "/login/wechat-app"):
		return stats.WayApp
	case strings.HasSuffix(p, "/oauth/wechat/callback"):
		return stats.WayOAuth
	}
	return ""
}

// FailureCause is the error code a failed way in is answered with: the
// cause the charts count it under (signin.Config.Cause).
func FailureCause(err error) string { return classify(err).Code }
