package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/audit"
	"miniauth/tenants/wxerrors"
)

// audit writes an entry outside any other change (sign-ins, revocations
// that live in Redis, credential tests). The change it records has
// happened whether or not the entry can be written, so a failure does not
// change the answer; it is logged at error level, for the operator to see.
func (s *Server) audit(c *fiber.Ctx, e audit.Entry) {
	if err := s.deps.Audit.RecordNow(c.UserContext(), e); err != nil {
		s.log.Error("audit entry not written", "request_id", requestIDOf(c), "action", e.Action,
			"tenant_id", e.TenantID, "err", err)
	}
}

type auditJSON struct {
	ID         int64           `json:"id"`
	Tenant     string          `json:"tenant,omitempty"`
	ActorType  string          `json:"actor_type"`
	ActorID    string          `json:"actor_id"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	IP         string          `json:"ip"`
	Details    json.RawMessage `json:"details,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// auditPage answers one page of audit lines matching f and the query's
// filters (auditFilter).
func (s *Server) auditPage(c *fiber.Ctx, f audit.Filter) error {
	f, err := auditFilter(c, f)
	if err != nil {
		return err
	}
	recs, err := s.deps.Audit.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := s.auditLines(c.UserContext(), recs, map[int64]string{})
	next := int64(0)
	if len(recs) == f.Limit {
		next = recs[len(recs)-1].ID
	}
	return c.JSON(auditResponse{Entries: out, Next: next})
}

// auditLines turns stored lines into what the console shows: tenants by
// slug, in the tenant column and where a line's target is a tenant
// (slugs caches them across calls).
func (s *Server) auditLines(ctx context.Context, recs []audit.Line, slugs map[int64]string) []auditJSON {
	slug := func(id int64) string {
		if _, ok := slugs[id]; !ok {
			if t, err := s.deps.Tenants.ByID(ctx, id); err == nil {
				slugs[id] = t.Slug
			} else {
				slugs[id] = "#" + strconv.FormatInt(id, 10) // deleted tenant
			}
		}
		return slugs[id]
	}
	out := make([]auditJSON, 0, len(recs))
	for _, r := range recs {
		j := auditJSON{ID: r.ID, ActorType: r.ActorType, ActorID: r.ActorID, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, IP: r.IP, CreatedAt: r.CreatedAt.UTC()}
		if len(r.Details) > 0 && json.Valid(r.Details) {
			j.Details = json.RawMessage(r.Details)
		}
		if r.TenantID != nil {
			j.Tenant = slug(*r.TenantID)
		}
		if id, err := strconv.ParseInt(r.TargetID, 10, 64); err == nil && r.TargetType == "tenant" && id > 0 {
			j.TargetID = slug(id) // older lines name a tenant by its row id
		}
		out = append(out, j)
	}
	return out
}

// auditFilter adds the query's filters to f: action, actor, target,
// before (a line id), limit, and from/to (RFC 3339 times, or dates: from
// a day's start, to its end, in UTC).
func auditFilter(c *fiber.Ctx, f audit.Filter) (audit.Filter, error) {
	f.Action = strings.Clone(c.Query("action"))
	f.Actor = strings.Clone(c.Query("actor"))
	f.TargetID = strings.Clone(c.Query("target"))
	f.Before = int64(c.QueryInt("before", 0))
	f.Limit = c.QueryInt("limit", 50)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var err error
	if f.From, err = auditTime(c.Query("from"), false); err != nil {
		return f, badRequest("from must be a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	if f.To, err = auditTime(c.Query("to"), true); err != nil {
		return f, badRequest("to must be a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, badRequest("from must be before to")
	}
	return f, nil
}

// auditTime reads a bound of a date range; a date as an upper bound means
// the end of that day.
func auditTime(v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339, v)
}

func (s *Server) adminTenantAudit(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	return s.auditPage(c, audit.Filter{TenantID: t.ID})
}

// adminPlatformAudit (platform admins): platform-wide lines, or every
// tenant's with ?scope=all.
func (s *Server) adminPlatformAudit(c *fiber.Ctx) error {
	return s.auditPage(c, audit.Filter{AllTenants: c.Query("scope") == "all"})
}

type overviewResponse struct {
	Tenant         tenantJSON       `json:"tenant"`
	Users          int              `json:"users"`
	Banned         int              `json:"banned"`
	LoginsToday    int              `json:"logins_today"`
	ActiveSessions int              `json:"active_sessions"`
	WeChatErrors   []wxerrors.Entry `json:"wechat_errors"`
}

// maxSessionUsers bounds the work of counting active sessions for the
// overview: the sessions of the most recent users are counted, so for a
// very large tenant the figure is a floor.
const maxSessionUsers = 5000

func (s *Server) adminOverview(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	ctx := c.UserContext()
	now := time.Now().UTC()
	st, err := s.deps.Users.Stats(ctx, t.ID, now.Truncate(24*time.Hour))
	if err != nil {
		return err
	}
	ids, err := s.deps.Users.RecentlyActive(ctx, t.ID, now.Add(-t.Settings.SessionAbsolute()), maxSessionUsers)
	if err != nil {
		return err
	}
	active, err := s.deps.Sessions.CountLive(ctx, t.ID, ids, t.SessionEpoch)
	if err != nil {
		return err
	}
	wx, err := s.deps.WeChatErrors.Recent(ctx, t.ID)
	if err != nil {
		return err
	}
	return c.JSON(overviewResponse{Tenant: newTenantJSON(t), Users: st.Users, Banned: st.Banned,
		LoginsToday: st.LoginsToday, ActiveSessions: active, WeChatErrors: wx})
}

// Response bodies of the handlers above.

type auditResponse struct {
	Entries []auditJSON `json:"entries"`
	Next    int64       `json:"next"` // the cursor of the next page; 0 at the end
}
