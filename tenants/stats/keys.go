package stats

import (
	"strconv"
	"time"
)

// keys names a tenant's keys of one day. Each lives under the tenant's
// namespace (<prefix>:t:<id>:) and carries the hash tag {t:<id>}, so every
// key of a tenant hashes to the same Redis Cluster slot and multi-key
// PFCOUNT over them works on a cluster.
type keys struct{ base string }

func keysOf(prefix string, tenantID int64, day time.Time) keys {
	id := strconv.FormatInt(tenantID, 10)
	return keys{base: prefix + ":t:" + id + ":st:{t:" + id + "}:" + dayKey(day)}
}

// counts is the hash of the day's counters, fields by field().
func (k keys) counts() string { return k.base }

// users is the HyperLogLog of the tenant's distinct users of the day.
func (k keys) users() string { return k.base + ":u" }

// usersOf is the HyperLogLog of the distinct users of one app and way.
func (k keys) usersOf(appID int64, way Way) string {
	return k.base + ":u:" + strconv.FormatInt(appID, 10) + ":" + string(way)
}

// field is the hash field an event increments: "<app>:<way>:<kind>", and
// for failures "<app>:<way>:failed:<cause>".
func field(e Event) string {
	f := strconv.FormatInt(e.AppID, 10) + ":" + string(e.Way) + ":" + string(e.Kind)
	if e.Kind == KindFailed {
		f += ":" + e.Cause
	}
	return f
}

// lockKey is the platform-wide lock of the rollup.
func lockKey(prefix string) string { return prefix + ":st:rollup-lock" }

// retention is how long a day's keys stay in Redis. It is longer than any
// window the console asks Redis for (30 days for MAU), so that a rollup
// delayed by weeks still finds its day.
const retention = 100 * 24 * time.Hour
