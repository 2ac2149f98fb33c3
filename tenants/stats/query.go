package stats

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Query picks what Tenant answers; the zero value is the last 30 days of
// every app and way.
type Query struct {
	Days  int   // how many days, today included: 1 to MaxDays (default 30)
	AppID int64 // one app by row id; 0 for all
	Way   Way   // one way in; "" for all
}

// MaxDays is the longest window a query answers.
const MaxDays = 366

// ErrBadQuery is returned for a window or way out of range.
var ErrBadQuery = errors.New("stats: bad query")

func (q *Query) normalise() error {
	if q.Days == 0 {
		q.Days = 30
	}
	if q.Days < 1 || q.Days > MaxDays {
		return fmt.Errorf("%w: days must be between 1 and %d", ErrBadQuery, MaxDays)
	}
	if q.AppID < 0 {
		return fmt.Errorf("%w: app id %d", ErrBadQuery, q.AppID)
	}
	if q.Way != "" && !q.Way.valid() {
		return fmt.Errorf("%w: way %q", ErrBadQuery, q.Way)
	}
	return nil
}

// Daily is one value per day, in the order of Days.
type Daily struct {
	Days     []string `json:"days"` // 2026-12-01 …, oldest first, the last is today
	Logins   []int64  `json:"logins"`
	NewUsers []int64  `json:"new_users"`
	Failed   []int64  `json:"failed"`
	DAU      []int64  `json:"dau"`
	// MAUDaily is, for each day, the distinct users of the 30 days ending
	// then; only for a whole tenant or the platform, nil when filtered.
	MAUDaily []int64 `json:"mau_daily,omitempty"`
}

// CauseCount is how many logins failed for one cause.
type CauseCount struct {
	Cause string `json:"cause"`
	Count int64  `json:"count"`
}

// Breakdown is one app's or one way's totals over the window.
type Breakdown struct {
	AppID    int64 `json:"app_id"`
	Way      Way   `json:"way,omitempty"`
	Logins   int64 `json:"logins"`
	NewUsers int64 `json:"new_users"`
	Failed   int64 `json:"failed"`
}

// Usage is a tenant's use over a window, ready to be sent as JSON.
type Usage struct {
	Zone  string `json:"zone"`
	AppID int64  `json:"app_id,omitempty"`
	Way   Way    `json:"way,omitempty"`
	Daily
	// MAU is the distinct users of the last 30 days, today included.
	MAU           int64        `json:"mau"`
	FailedByCause []CauseCount `json:"failed_by_cause"`
	Apps          []Breakdown  `json:"apps"` // per app (of the chosen way), most logins first
	Ways          []Breakdown  `json:"ways"` // per way (of the chosen app), most logins first
}

// Tenant answers a tenant's use: the history from MySQL and today, live,
// from Redis.
func (s *Store) Tenant(ctx context.Context, tenantID int64, q Query) (*Usage, error) {
	if err := q.normalise(); err != nil {
		return nil, err
	}
	s.c.settle(ctx)
	today := s.today()
	// At least 30 days are read, for the apps and ways whose users make MAU.
	rows, err := s.history(ctx, tenantID, addDays(today, -max(q.Days, mauWindow)+1), today)
	if err != nil {
		return nil, err
	}
	live, err := s.c.readDay(ctx, []int64{tenantID}, today, false)
	if err != nil {
		return nil, err
	}
	rows = append(rows, live...)

	u := &Usage{Zone: ZoneName, AppID: q.AppID, Way: q.Way, Daily: newDaily(today, q.Days)}
	whole := q.AppID == 0 && q.Way == ""
	if !whole {
		u.MAUDaily = nil
	}
	dau := dauMetric(q)
	causes := map[string]int64{}
	apps, ways := map[int64]*Breakdown{}, map[Way]*Breakdown{}
	month := map[combo]bool{} // apps and ways with users in the last 30 days
	monthFrom := dayISO(addDays(today, -mauWindow+1))
	for _, r := range rows {
		appOK := q.AppID == 0 || r.AppID == q.AppID
		wayOK := q.Way == "" || Way(r.Way) == q.Way
		if r.Metric == mDAUAppWay && appOK && wayOK && r.Day >= monthFrom {
			month[combo{r.AppID, Way(r.Way)}] = true
		}
		i, in := u.index(r.Day)
		if !in {
			continue
		}
		switch {
		case r.Metric == dau && appOK && wayOK && (q.AppID != 0 || r.AppID == 0) && (q.Way != "" || r.Way == ""):
			u.DAU[i] = r.Value
		case r.Metric == mMAU && whole:
			u.MAUDaily[i] = r.Value
		case isCount(r.Metric):
			if wayOK {
				add(breakdown(apps, r.AppID, Breakdown{AppID: r.AppID}), r)
			}
			if appOK {
				add(breakdown(ways, Way(r.Way), Breakdown{Way: Way(r.Way)}), r)
			}
			if appOK && wayOK {
				u.Daily.add(i, r)
				if c, ok := strings.CutPrefix(r.Metric, mFailed); ok {
					causes[c] += r.Value
				}
			}
		}
	}
	if u.MAU, err = s.mau(ctx, tenantID, today, whole, month); err != nil {
		return nil, err
	}
	u.FailedByCause = sortCauses(causes)
	u.Apps, u.Ways = sortBreakdowns(apps), sortBreakdowns(ways)
	return u, nil
}

// dauMetric is the metric of distinct users of q's scope.
func dauMetric(q Query) string {
	switch {
	case q.AppID != 0 && q.Way != "":
		return mDAUAppWay
	case q.AppID != 0:
		return mDAUApp
	case q.Way != "":
		return mDAUWay
	}
	return mDAU
}

// mau counts the distinct users of the 30 days ending today: PFCOUNT of
// several keys counts their union, and every key of a tenant is in one
// slot. For one app or way, the keys are those of the apps and ways seen
// with users in those days.
func (s *Store) mau(ctx context.Context, tenantID int64, today time.Time, whole bool, combos map[combo]bool) (int64, error) {
	var ks []string
	for j := range mauWindow {
		k := keysOf(s.c.prefix, tenantID, addDays(today, -j))
		if whole {
			ks = append(ks, k.users())
			continue
		}
		for cb := range combos {
			ks = append(ks, k.usersOf(cb.app, cb.way))
		}
	}
	if len(ks) == 0 {
		return 0, nil
	}
	n, err := s.c.rdb.PFCount(ctx, ks...).Result()
	if err != nil {
		return 0, fmt.Errorf("stats: mau: %w", err)
	}
	return n, nil
}

// history reads a tenant's rows of the days from from up to, not
// including, to.
func (s *Store) history(ctx context.Context, tenantID int64, from, to time.Time) ([]row, error) {
	var rows []row
	err := s.db.SelectContext(ctx, &rows, `SELECT tenant_id, DATE_FORMAT(day, '%Y-%m-%d') AS day, app_id, way, metric, value
		FROM usage_daily WHERE tenant_id = ? AND day >= ? AND day < ?`, tenantID, dayISO(from), dayISO(to))
	if err != nil {
		return nil, fmt.Errorf("stats: history: %w", err)
	}
	return rows, nil
}

func isCount(metric string) bool {
	return metric == mLogins || metric == mNewUsers || strings.HasPrefix(metric, mFailed)
}

func newDaily(today time.Time, n int) Daily {
	d := Daily{Days: make([]string, n), Logins: make([]int64, n), NewUsers: make([]int64, n),
		Failed: make([]int64, n), DAU: make([]int64, n), MAUDaily: make([]int64, n)}
	for i := range n {
		d.Days[i] = dayISO(addDays(today, i-n+1))
	}
	return d
}

// index finds a day in Days (they are sorted).
func (d *Daily) index(day string) (int, bool) {
	i := sort.SearchStrings(d.Days, day)
	return i, i < len(d.Days) && d.Days[i] == day
}

// add adds a count row to day i.
func (d *Daily) add(i int, r row) {
	switch {
	case r.Metric == mLogins:
		d.Logins[i] += r.Value
	case r.Metric == mNewUsers:
		d.NewUsers[i] += r.Value
	default:
		d.Failed[i] += r.Value
	}
}

func breakdown[K comparable](m map[K]*Breakdown, k K, zero Breakdown) *Breakdown {
	b := m[k]
	if b == nil {
		b = &zero
		m[k] = b
	}
	return b
}

func add(b *Breakdown, r row) {
	switch {
	case r.Metric == mLogins:
		b.Logins += r.Value
	case r.Metric == mNewUsers:
		b.NewUsers += r.Value
	default:
		b.Failed += r.Value
	}
}

func sortCauses(m map[string]int64) []CauseCount {
	out := make([]CauseCount, 0, len(m))
	for c, n := range m {
		out = append(out, CauseCount{Cause: c, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Cause < out[j].Cause
	})
	return out
}

func sortBreakdowns[K comparable](m map[K]*Breakdown) []Breakdown {
	out := make([]Breakdown, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Logins != b.Logins {
			return a.Logins > b.Logins
		}
		if a.AppID != b.AppID {
			return a.AppID < b.AppID
		}
		return a.Way < b.Way
	})
	return out
}
