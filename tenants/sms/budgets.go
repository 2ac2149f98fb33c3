package sms

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Budgets, by what they count.
const (
	BudgetPhone    = "phone"    // per phone: a minute, an hour, a day
	BudgetAddress  = "address"  // per client address: an hour, a day
	BudgetTenant   = "tenant"   // the tenant's daily cap
	BudgetProvider = "provider" // the provider refused: one of its own limits
)

// ErrRateLimited is matched by every *LimitError.
var ErrRateLimited = errors.New("sms: too many codes requested")

// ErrDailyCap is matched by the *LimitError of the tenant's daily cap:
// the caller audits it and warns the tenant's admins in the console.
var ErrDailyCap = errors.New("sms: the tenant's daily SMS cap is reached")

// LimitError is a spent budget; RetryAfter says when a send can succeed.
type LimitError struct {
	Budget     string
	RetryAfter time.Duration
	Err        error // the provider's error, for BudgetProvider
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("sms: %s budget spent; retry after %s", e.Budget, e.RetryAfter.Round(time.Second))
}

// Is matches ErrRateLimited, and ErrDailyCap for the tenant's cap.
func (e *LimitError) Is(target error) bool {
	return target == ErrRateLimited || (target == ErrDailyCap && e.Budget == BudgetTenant)
}

// Unwrap gives the provider's error of a BudgetProvider refusal.
func (e *LimitError) Unwrap() error { return e.Err }

// Budgets enforces the send budgets in Redis, so that every node shares
// them. Per phone and per address they are rolling windows kept exactly
// (a sorted set of send times: at most a day's sends of one phone or
// address); the tenant's cap counts a calendar day. Each budget is one key
// and one script, which Redis Cluster allows; when a later budget refuses,
// the earlier ones are given back. The times come from the caller's
// clock, so that tests can move it; nodes' clocks should agree to a second.
type Budgets struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewBudgets returns budgets under prefix; now is time.Now when nil.
func NewBudgets(rdb redis.UniversalClient, prefix string, now func() time.Time) *Budgets {
	if now == nil {
		now = time.Now
	}
	return &Budgets{rdb: rdb, prefix: prefix, now: now}
}

// windowScript: KEYS[1] a sorted set of send times (ms); ARGV now, member,
// then pairs of window (ms) and limit. It refuses when a window is full,
// else adds member; either way it answers how long until one more would fit.
var windowScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local longest = 0
for i = 3, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i])) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local function wait()
  local w = 0
  for i = 3, #ARGV, 2 do
    local win, lim = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local from = '(' .. (now - win)
    local n = redis.call('ZCOUNT', KEYS[1], from, '+inf')
    if n >= lim then
      local e = redis.call('ZRANGEBYSCORE', KEYS[1], from, '+inf', 'WITHSCORES', 'LIMIT', n - lim, 1)
      w = math.max(w, tonumber(e[2]) + win - now)
    end
  end
  return w
end
local w = wait()
if w > 0 then return {0, w} end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], longest)
return {1, wait()}`)

// dayScript: KEYS[1] the day's counter; ARGV cap, ms to the day's end.
var dayScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {0, tonumber(ARGV[2])} end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 86400000)
return {1, 0}`)

var releaseDayScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0`)

// Reservation is what one send spent; Release gives parts of it back.
type Reservation struct {
	member            string
	phoneKey, addrKey string
	dayKey            string
}

// chinaTime is the day the providers count by (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

func (b *Budgets) key(tenantID int64, parts ...string) string {
	k := b.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":sms:rl"
	for _, p := range parts {
		k += ":" + p
	}
	return k
}

// addressBucket is what an address counts as: itself for IPv4, its /64
// for IPv6 (one host easily owns a /64); "unknown" when it is not an
// address at all.
func addressBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "unknown"
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Reserve spends one send of phoneID's (a phone's keyed hash), the
// address's and the tenant's budgets, in that order, giving back what it
// spent when a later one refuses. It returns how long until the phone may
// be sent another code (resend_after).
func (b *Budgets) Reserve(ctx context.Context, tenantID int64, phoneID, ip string, l Limits) (*Reservation, time.Duration, error) {
	l = l.WithDefaults()
	now := b.now()
	r := &Reservation{member: newID(), phoneKey: b.key(tenantID, "phone", phoneID), addrKey: b.key(tenantID, "addr", addressBucket(ip))}
	resend, err := b.window(ctx, r.phoneKey, r.member, now, BudgetPhone,
		time.Minute, l.PhonePerMinute, time.Hour, l.PhonePerHour, 24*time.Hour, l.PhonePerDay)
	if err != nil {
		return nil, 0, err
	}
	if _, err := b.window(ctx, r.addrKey, r.member, now, BudgetAddress, time.Hour, l.AddressPerHour, 24*time.Hour, l.AddressPerDay); err != nil {
		b.giveBack(ctx, r.member, r.phoneKey)
		return nil, 0, err
	}
	day := now.In(chinaTime)
	end := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, chinaTime)
	r.dayKey = b.key(tenantID, "day", day.Format("20060102"))
	res, err := dayScript.Run(ctx, b.rdb, []string{r.dayKey}, l.TenantPerDay, end.Sub(now).Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		b.giveBack(ctx, r.member, r.phoneKey, r.addrKey)
		return nil, 0, fmt.Errorf("sms: tenant budget: %v", err)
	}
	if res[0] == 0 {
		// A send the cap refused never reached for the provider: the
		// phone and the address get theirs back.
		b.giveBack(ctx, r.member, r.phoneKey, r.addrKey)
		return nil, 0, &LimitError{Budget: BudgetTenant, RetryAfter: time.Duration(res[1]) * time.Millisecond}
	}
	return r, resend, nil
}

// window runs windowScript over pairs of (window, limit).
func (b *Budgets) window(ctx context.Context, key, member string, now time.Time, budget string, pairs ...any) (time.Duration, error) {
	args := []any{now.UnixMilli(), member}
	for i := 0; i < len(pairs); i += 2 {
		args = append(args, pairs[i].(time.Duration).Milliseconds(), pairs[i+1])
	}
	res, err := windowScript.Run(ctx, b.rdb, []string{key}, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		return 0, fmt.Errorf("sms: %s budget: %v", budget, err)
	}
	wait := time.Duration(res[1]) * time.Millisecond
	if res[0] == 0 {
		return 0, &LimitError{Budget: budget, RetryAfter: wait}
	}
	return wait, nil
}

// Release gives back a reservation after a send that did not happen: the
// tenant's and, unless keepPhone, the phone's. The address's budget stays
// spent, so that a client whose sends keep failing (a bad number, a
// provider down) still cannot make the server call the provider without
// end. Errors are ignored: at worst a budget is spent for nothing.
func (b *Budgets) Release(ctx context.Context, r *Reservation, keepPhone bool) {
	ctx = context.WithoutCancel(ctx)
	if !keepPhone {
		b.giveBack(ctx, r.member, r.phoneKey)
	}
	releaseDayScript.Run(ctx, b.rdb, []string{r.dayKey})
}

// giveBack removes member from the window budgets keys.
func (b *Budgets) giveBack(ctx context.Context, member string, keys ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		b.rdb.ZRem(ctx, k, member)
	}
}
