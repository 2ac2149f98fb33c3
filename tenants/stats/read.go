package stats

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The metrics of usage_daily. Counts (logins, new_users, failed:<cause>)
// are kept per app and way and add up. Distinct users do not add up, so
// each scope has its own metric: dau for the tenant (app 0, way ""),
// dau_app per app (way ""), dau_way per way (app 0), dau_app_way per app
// and way, and mau, the tenant's distinct users of the 30 days ending that
// day.
const (
	mLogins     = "logins"
	mNewUsers   = "new_users"
	mFailed     = "failed:"
	mDAU        = "dau"
	mDAUApp     = "dau_app"
	mDAUWay     = "dau_way"
	mDAUAppWay  = "dau_app_way"
	mMAU        = "mau"
	mauWindow   = 30
	redisBatch  = 200 // tenants per pipeline
	insertBatch = 500 // rows per INSERT
)

// row is one row of usage_daily.
type row struct {
	TenantID int64  `db:"tenant_id"`
	Day      string `db:"day"`
	AppID    int64  `db:"app_id"`
	Way      string `db:"way"`
	Metric   string `db:"metric"`
	Value    int64  `db:"value"`
}

type combo struct {
	app int64
	way Way
}

// readDay reads the day of each tenant from Redis as rows, a few pipelined
// round trips per batch of tenants, never a SCAN. With expire, it also
// sets the day's keys' expiry again (EXPIREAT is idempotent, and a no-op
// on a missing key): Record gives a key its expiry only the first time a
// process writes it on a day, so a key that Redis lost and that came back
// the same day would otherwise never expire.
func (c *Counter) readDay(ctx context.Context, tenantIDs []int64, day time.Time, expire bool) ([]row, error) {
	var out []row
	for start := 0; start < len(tenantIDs); start += redisBatch {
		rows, err := c.readBatch(ctx, tenantIDs[start:min(start+redisBatch, len(tenantIDs))], day, expire)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (c *Counter) readBatch(ctx context.Context, ids []int64, day time.Time, expire bool) ([]row, error) {
	iso := dayISO(day)
	expireAt := day.Add(retention)
	type first struct {
		counts   *redis.MapStringStringCmd
		dau, mau *redis.IntCmd
	}
	firsts := make([]first, len(ids))
	pipe := c.rdb.Pipeline()
	for i, id := range ids {
		k := keysOf(c.prefix, id, day)
		month := make([]string, mauWindow)
		for j := range month {
			month[j] = keysOf(c.prefix, id, addDays(day, -j)).users()
		}
		firsts[i] = first{pipe.HGetAll(ctx, k.counts()), pipe.PFCount(ctx, k.users()), pipe.PFCount(ctx, month...)}
		if expire {
			pipe.ExpireAt(ctx, k.counts(), expireAt)
			pipe.ExpireAt(ctx, k.users(), expireAt)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("stats: read %s: %w", iso, err)
	}

	var out []row
	type second struct {
		tenant int64
		app    int64
		way    Way
		metric string
		n      *redis.IntCmd
	}
	var seconds []second
	pipe = c.rdb.Pipeline()
	for i, id := range ids {
		rows, combos := parseCounts(id, iso, firsts[i].counts.Val())
		out = append(out, rows...)
		for metric, v := range map[string]int64{mDAU: firsts[i].dau.Val(), mMAU: firsts[i].mau.Val()} {
			if v > 0 {
				out = append(out, row{TenantID: id, Day: iso, Metric: metric, Value: v})
			}
		}
		k := keysOf(c.prefix, id, day)
		byApp, byWay := map[int64][]string{}, map[Way][]string{}
		for _, cb := range combos {
			key := k.usersOf(cb.app, cb.way)
			byApp[cb.app] = append(byApp[cb.app], key)
			byWay[cb.way] = append(byWay[cb.way], key)
			seconds = append(seconds, second{id, cb.app, cb.way, mDAUAppWay, pipe.PFCount(ctx, key)})
			if expire {
				pipe.ExpireAt(ctx, key, expireAt)
			}
		}
		for app, ks := range byApp {
			seconds = append(seconds, second{id, app, "", mDAUApp, pipe.PFCount(ctx, ks...)})
		}
		for way, ks := range byWay {
			seconds = append(seconds, second{id, 0, way, mDAUWay, pipe.PFCount(ctx, ks...)})
		}
	}
	if len(seconds) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("stats: read %s: %w", iso, err)
		}
	}
	for _, s := range seconds {
		if v := s.n.Val(); v > 0 {
			out = append(out, row{TenantID: s.tenant, Day: iso, AppID: s.app, Way: string(s.way), Metric: s.metric, Value: v})
		}
	}
	return out, nil
}

// parseCounts turns a day's hash into count rows, and lists the apps and
// ways that had successful logins (whose distinct users are to be counted).
// A field it does not understand is skipped, not fatal.
func parseCounts(tenantID int64, iso string, h map[string]string) ([]row, []combo) {
	sums := map[[3]string]int64{}
	seen := map[combo]bool{}
	for f, v := range h {
		parts := strings.SplitN(f, ":", 4)
		n, err := strconv.ParseInt(v, 10, 64)
		if len(parts) < 3 || err != nil || n <= 0 {
			continue
		}
		if _, err := strconv.ParseInt(parts[0], 10, 64); err != nil {
			continue
		}
		app, way := parts[0], parts[1]
		switch Kind(parts[2]) {
		case KindLogin:
			sums[[3]string{app, way, mLogins}] += n
		case KindNewUser:
			sums[[3]string{app, way, mLogins}] += n
			sums[[3]string{app, way, mNewUsers}] += n
		case KindFailed:
			if len(parts) == 4 {
				sums[[3]string{app, way, mFailed + parts[3]}] += n
			}
			continue
		default:
			continue
		}
		id, _ := strconv.ParseInt(app, 10, 64)
		seen[combo{id, Way(way)}] = true
	}
	rows := make([]row, 0, len(sums))
	for k, v := range sums {
		app, _ := strconv.ParseInt(k[0], 10, 64)
		rows = append(rows, row{TenantID: tenantID, Day: iso, AppID: app, Way: k[1], Metric: k[2], Value: v})
	}
	combos := make([]combo, 0, len(seen))
	for cb := range seen {
		combos = append(combos, cb)
	}
	sort.Slice(combos, func(i, j int) bool {
		if combos[i].app != combos[j].app {
			return combos[i].app < combos[j].app
		}
		return combos[i].way < combos[j].way
	})
	return rows, combos
}
