package tokens

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ForceSpacing is how far apart WeChat wants forced refreshes; a closer
// one does not refresh (docs/wechat.md, access tokens).
const ForceSpacing = 30 * time.Second

// WeChat's days end at midnight Beijing time.
var beijing = time.FixedZone("CST", 8*3600)

// ForceLimitedError: a forced refresh was needed but would break WeChat's
// limits, so none was made.
type ForceLimitedError struct {
	Daily      bool          // the day's budget is spent (else: the last force was under 30 s ago)
	Budget     int           // forced refreshes allowed per day
	RetryAfter time.Duration // until one is allowed again
}

func (e *ForceLimitedError) Error() string {
	if e.Daily {
		return fmt.Sprintf("tokens: the access token was force-refreshed %d times today", e.Budget)
	}
	return "tokens: the access token was force-refreshed less than 30 s ago"
}

// claimForceScript records a forced refresh of one app unless the last was
// under ARGV[2] ms before ARGV[1] (now, ms) or ARGV[4] were made on day
// ARGV[3]. It answers {0} when allowed, {1, last} when too soon, {2}
// when the day's budget is spent. One hash per app, so all nodes share
// both limits.
var claimForceScript = redis.NewScript(`
local h = redis.call('hmget', KEYS[1], 'last', 'day', 'count')
local now = tonumber(ARGV[1])
local last = tonumber(h[1])
if last and now - last < tonumber(ARGV[2]) then return {1, last} end
local count = 0
if h[2] == ARGV[3] then count = tonumber(h[3]) or 0 end
if count >= tonumber(ARGV[4]) then return {2, count} end
redis.call('hset', KEYS[1], 'last', ARGV[1], 'day', ARGV[3], 'count', count + 1)
redis.call('pexpire', KEYS[1], 172800000)
return {0, count + 1}`)

// claimForce takes one forced refresh of t's token from the shared
// limits, or explains why none is allowed now.
func (c *Cache) claimForce(ctx context.Context, t Target) error {
	now := c.now()
	day := now.In(beijing).Format(time.DateOnly)
	res, err := claimForceScript.Run(ctx, c.rdb, []string{c.key(t) + ":force"},
		now.UnixMilli(), ForceSpacing.Milliseconds(), day, c.forcePerDay).Int64Slice()
	if err != nil || len(res) != 2 {
		return fmt.Errorf("tokens: claim a forced refresh: %w", err)
	}
	switch res[0] {
	case 1:
		return &ForceLimitedError{Budget: c.forcePerDay, RetryAfter: time.UnixMilli(res[1]).Add(ForceSpacing).Sub(now)}
	case 2:
		y, m, d := now.In(beijing).Date()
		return &ForceLimitedError{Daily: true, Budget: c.forcePerDay,
			RetryAfter: time.Date(y, m, d+1, 0, 0, 0, 0, beijing).Sub(now)}
	}
	return nil
}

// ForcesToday reports how many forced refreshes of t's token all nodes
// made today.
func (c *Cache) ForcesToday(ctx context.Context, t Target) (int, error) {
	vals, err := c.rdb.HMGet(ctx, c.key(t)+":force", "day", "count").Result()
	if err != nil {
		return 0, fmt.Errorf("tokens: forced refreshes: %w", err)
	}
	if day, _ := vals[0].(string); day != c.now().In(beijing).Format(time.DateOnly) {
		return 0, nil
	}
	s, _ := vals[1].(string)
	n, _ := strconv.Atoi(s)
	return n, nil
}
