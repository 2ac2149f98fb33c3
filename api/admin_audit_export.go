package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/audit"
)

// The audit log as CSV: the lines the console's filters select (auditFilter,
// without paging), newest first, streamed a page at a time.

// maxAuditExport bounds one export; narrow the date range for more.
const maxAuditExport = 100_000

var auditColumns = []string{"time", "tenant", "actor_type", "actor", "action", "target_type", "target", "ip", "details"}

func (s *Server) adminTenantAuditCSV(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	return s.auditCSV(c, audit.Filter{TenantID: t.ID}, t.Slug)
}

func (s *Server) adminPlatformAuditCSV(c *fiber.Ctx) error {
	return s.auditCSV(c, audit.Filter{AllTenants: c.Query("scope") == "all"}, "platform")
}

func (s *Server) auditCSV(c *fiber.Ctx, f audit.Filter, name string) error {
	f, err := auditFilter(c, f)
	if err != nil {
		return err
	}
	f.Limit = 200
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), exportTimeout)
	first, err := s.deps.Audit.List(ctx, f) // a failing database is a clean 5xx, not a cut file
	if err != nil {
		cancel()
		return err
	}
	rid, name := strings.Clone(requestIDOf(c)), strings.Clone(name)
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`-audit.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		cw := csv.NewWriter(w)
		_ = cw.Write(auditColumns)
		slugs, recs, n := map[int64]string{}, first, 0
		for len(recs) > 0 && n < maxAuditExport {
			for _, j := range s.auditLines(ctx, recs, slugs) {
				_ = cw.Write([]string{j.CreatedAt.Format(time.RFC3339), j.Tenant, j.ActorType, cell(j.ActorID), j.Action,
					j.TargetType, cell(j.TargetID), j.IP, cell(string(j.Details))})
			}
			n += len(recs)
			cw.Flush()
			if cw.Error() != nil || w.Flush() != nil || len(recs) < f.Limit {
				return
			}
			f.Before = recs[len(recs)-1].ID
			if recs, err = s.deps.Audit.List(ctx, f); err != nil {
				s.log.Error("audit export cut short", "request_id", rid, "err", err)
				_, _ = w.WriteString("# export incomplete: a server error, try again\n")
				_ = w.Flush()
				return
			}
		}
		_ = w.Flush()
	})
	return nil
}
