package stats

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// TenantTotal is one tenant's totals over the platform overview's window.
type TenantTotal struct {
	TenantID int64  `json:"tenant_id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Logins   int64  `json:"logins"`
	NewUsers int64  `json:"new_users"`
	Failed   int64  `json:"failed"`
}

// Platform is the use of every tenant together, ready to be sent as JSON.
// Users belong to one tenant, so distinct users add up across tenants.
type Platform struct {
	Zone string `json:"zone"`
	Daily
	MAU           int64         `json:"mau"` // distinct users of the last 30 days, today included
	FailedByCause []CauseCount  `json:"failed_by_cause"`
	Tenants       []TenantTotal `json:"tenants"` // every tenant with use in the window, most logins first
}

// Platform answers the platform's use over the last days days (1 to
// MaxDays, 0 for 30): the history summed in MySQL, and today read from
// Redis for every tenant in pipelined batches.
func (s *Store) Platform(ctx context.Context, days int) (*Platform, error) {
	q := Query{Days: days}
	if err := q.normalise(); err != nil {
		return nil, err
	}
	s.c.settle(ctx)
	today := s.today()
	from := addDays(today, -q.Days+1)

	var sums []row // per day and metric, every tenant, app and way together
	err := s.db.SelectContext(ctx, &sums, `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, metric, CAST(SUM(value) AS SIGNED) AS value
		FROM usage_daily WHERE day >= ? AND day < ? AND (metric IN ('logins', 'new_users', 'dau', 'mau') OR metric LIKE 'failed:%')
		GROUP BY day, metric`, dayISO(from), dayISO(today))
	if err != nil {
		return nil, fmt.Errorf("stats: platform history: %w", err)
	}
	var perTenant []row // per tenant and metric over the window
	err = s.db.SelectContext(ctx, &perTenant, `SELECT tenant_id, metric, CAST(SUM(value) AS SIGNED) AS value
		FROM usage_daily WHERE day >= ? AND day < ? AND (metric IN ('logins', 'new_users') OR metric LIKE 'failed:%')
		GROUP BY tenant_id, metric`, dayISO(from), dayISO(today))
	if err != nil {
		return nil, fmt.Errorf("stats: platform tenants: %w", err)
	}
	type tenant struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
		Name string `db:"name"`
	}
	var tenants []tenant
	if err := s.db.SelectContext(ctx, &tenants, `SELECT id, slug, name FROM tenants ORDER BY id`); err != nil {
		return nil, fmt.Errorf("stats: tenants: %w", err)
	}
	ids := make([]int64, len(tenants))
	for i, t := range tenants {
		ids[i] = t.ID
	}
	live, err := s.c.readDay(ctx, ids, today, false)
	if err != nil {
		return nil, err
	}

	p := &Platform{Zone: ZoneName, Daily: newDaily(today, q.Days)}
	causes := map[string]int64{}
	totals := map[int64]*Breakdown{}
	for _, r := range sums {
		p.addSum(r, causes)
	}
	for _, r := range perTenant {
		add(breakdown(totals, r.TenantID, Breakdown{}), r)
	}
	for _, r := range live {
		if r.Metric == mDAU || r.Metric == mMAU {
			p.addSum(r, causes)
		}
		if isCount(r.Metric) {
			p.addSum(r, causes)
			add(breakdown(totals, r.TenantID, Breakdown{}), r)
		}
	}
	p.MAU = p.MAUDaily[len(p.MAUDaily)-1]
	p.FailedByCause = sortCauses(causes)
	for _, t := range tenants {
		if b := totals[t.ID]; b != nil {
			p.Tenants = append(p.Tenants, TenantTotal{TenantID: t.ID, Slug: t.Slug, Name: t.Name,
				Logins: b.Logins, NewUsers: b.NewUsers, Failed: b.Failed})
		}
	}
	sort.SliceStable(p.Tenants, func(i, j int) bool { return p.Tenants[i].Logins > p.Tenants[j].Logins })
	if p.Tenants == nil {
		p.Tenants = []TenantTotal{}
	}
	return p, nil
}

// addSum adds a row of a platform-wide metric to its day.
func (p *Platform) addSum(r row, causes map[string]int64) {
	i, in := p.index(r.Day)
	if !in {
		return
	}
	switch r.Metric {
	case mDAU:
		p.DAU[i] += r.Value
	case mMAU:
		p.MAUDaily[i] += r.Value
	default:
		p.Daily.add(i, r)
		if c, ok := strings.CutPrefix(r.Metric, mFailed); ok {
			causes[c] += r.Value
		}
	}
}
