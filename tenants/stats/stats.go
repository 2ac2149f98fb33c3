// Package stats counts the use of each tenant's ways in — logins, new users,
// failed logins by cause, and distinct users — cheaply on the request path,
// and keeps the history in MySQL for the console's charts.
//
// What is counted where:
//
//   - On the request path, Counter.Record writes only to Redis, in one
//     pipelined round trip: HINCRBY on the tenant's hash of the day (one
//     field per app, way, kind and cause) and, for a successful login, PFADD
//     of the user into the day's HyperLogLog of the tenant and of the app and
//     way. It never reads MySQL and never scans anything.
//   - Every key of a tenant carries the hash tag {t:<id>}, so that all of a
//     tenant's keys live in one Redis Cluster slot: PFCOUNT over several
//     days' keys (the union of their users) is then legal on a cluster.
//   - Store.Rollup copies a day from Redis into the usage_daily table
//     (upserts, so running it again changes nothing), and Store.Run does so
//     every few minutes on one node at a time.
//   - The console's queries read the history from MySQL and today from
//     Redis.
//
// Days are calendar days in Beijing time (Asia/Shanghai, UTC+8, which has
// had no daylight saving since 1991, so a fixed zone is exact and needs no
// time zone database): a tenant's day, and WeChat's quotas, turn over at
// midnight there.
package stats

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Zone is the time zone that days are counted in (Asia/Shanghai).
var Zone = time.FixedZone("Asia/Shanghai", 8*60*60)

// ZoneName names Zone in answers.
const ZoneName = "Asia/Shanghai"

// Way is how a user came in.
type Way string

// The ways in.
const (
	WayMiniProgram Way = "miniprogram"
	WayOAuth       Way = "oauth" // WeChat web OAuth (official accounts)
	WaySMS         Way = "sms"
	WayApp         Way = "app"     // WeChat Open SDK in a mobile app
	WayWebsite     Way = "website" // QR sign-in on a website
)

// Ways lists every way in, in the order the console shows them.
var Ways = []Way{WayMiniProgram, WayOAuth, WaySMS, WayApp, WayWebsite}

func (w Way) valid() bool {
	for _, v := range Ways {
		if w == v {
			return true
		}
	}
	return false
}

// Kind is what happened.
type Kind string

// The kinds of event. A new user's first login is KindNewUser, not also
// KindLogin: logins are counted as both kinds together.
const (
	KindLogin   Kind = "login"    // a successful login of a known user
	KindNewUser Kind = "new_user" // a successful login that registered the user
	KindFailed  Kind = "failed"   // a refused login; Cause says why
)

// Event is one login attempt.
type Event struct {
	TenantID int64
	// AppID is the app's row id (tenants.App.ID, not the WeChat appid
	// string): it is what the sign-in code holds, it is short, and it stays
	// right if an appid is ever corrected. 0 means no app (an SMS login,
	// or a failure before the app was known).
	AppID int64
	Way   Way
	Kind  Kind
	// Cause is the error code of a failed login (invalid_code,
	// wechat_unavailable, user_banned, rate_limited, …); empty otherwise.
	// An empty cause of a failure counts as "unknown".
	Cause string
	// UserID is the user's row id when known; successful logins with a
	// user are counted as distinct users.
	UserID int64
}

// ErrInvalid is returned for an event that cannot be counted.
var ErrInvalid = errors.New("stats: invalid event")

// causeRE keeps causes to the shape of error codes: they become hash fields
// and metric names, so they must be few and short.
var causeRE = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

func (e *Event) validate() error {
	switch {
	case e.TenantID <= 0:
		return fmt.Errorf("%w: tenant id %d", ErrInvalid, e.TenantID)
	case e.AppID < 0:
		return fmt.Errorf("%w: app id %d", ErrInvalid, e.AppID)
	case !e.Way.valid():
		return fmt.Errorf("%w: way %q", ErrInvalid, e.Way)
	}
	switch e.Kind {
	case KindLogin, KindNewUser:
		if e.Cause != "" {
			return fmt.Errorf("%w: a cause on a %s", ErrInvalid, e.Kind)
		}
	case KindFailed:
		if e.Cause == "" {
			e.Cause = "unknown"
		}
		if !causeRE.MatchString(e.Cause) {
			return fmt.Errorf("%w: cause %q", ErrInvalid, e.Cause)
		}
	default:
		return fmt.Errorf("%w: kind %q", ErrInvalid, e.Kind)
	}
	return nil
}

// dayOf is the start of t's day in Zone.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// dayKey formats a day for Redis keys (20261201), dayISO for MySQL and JSON
// (2026-12-01).
func dayKey(d time.Time) string { return d.Format("20060102") }
func dayISO(d time.Time) string { return d.Format(time.DateOnly) }

// addDays moves a day start by n calendar days.
func addDays(d time.Time, n int) time.Time { return d.AddDate(0, 0, n) }
