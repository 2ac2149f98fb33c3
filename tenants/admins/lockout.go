package admins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lockout slows down and then stops password guessing at the console's
// sign-in, counting failures in Redis per account and per client IP. It
// counts by the email normalised (NormalizeEmail), whether or not such an
// admin exists, so that its answers tell nothing about which emails are
// registered, and every spelling that reaches an admin shares its count. A
// malformed email reaches no admin and is counted per IP only.
type Lockout struct {
	rdb    redis.UniversalClient
	prefix string
	policy LockoutPolicy
}

// LockoutPolicy says when failures start to cost waiting and when they lock.
type LockoutPolicy struct {
	Window         time.Duration // failures are forgotten this long after the last one
	AccountSlow    int64         // from this many failures of one account, each costs a growing wait
	AccountLock    int64         // at this many, the account is locked for LockFor
	IPSlow, IPLock int64         // the same per client IP
	LockFor        time.Duration
	MaxSlow        time.Duration
}

// DefaultLockoutPolicy: 5 free tries per account, then 1 s, 2 s, 4 s…
// between tries, locked for 15 minutes at 10; an IP gets 20 free tries and
// is locked at 50.
var DefaultLockoutPolicy = LockoutPolicy{Window: 15 * time.Minute,
	AccountSlow: 5, AccountLock: 10, IPSlow: 20, IPLock: 50,
	LockFor: 15 * time.Minute, MaxSlow: time.Minute}

// NewLockout returns a Lockout with policy p.
func NewLockout(rdb redis.UniversalClient, prefix string, p LockoutPolicy) *Lockout {
	return &Lockout{rdb: rdb, prefix: prefix, policy: p}
}

// accountKey is the counter of email's account, "" for a malformed email.
func (l *Lockout) accountKey(email string) string {
	email, err := NormalizeEmail(email)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(email))
	return l.prefix + ":admin:fail:a:" + hex.EncodeToString(sum[:16])
}

func (l *Lockout) ipKey(ip string) string { return l.prefix + ":admin:fail:ip:" + ip }

// Wait reports how long the caller must wait before another attempt for
// email from ip may be checked; zero means go ahead.
func (l *Lockout) Wait(ctx context.Context, email, ip string) (time.Duration, error) {
	pipe := l.rdb.Pipeline()
	var a *redis.DurationCmd
	if key := l.accountKey(email); key != "" {
		a = pipe.PTTL(ctx, key+":until")
	}
	i := pipe.PTTL(ctx, l.ipKey(ip)+":until")
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("admins: lockout: %w", err)
	}
	if a == nil {
		return max(i.Val(), 0), nil
	}
	return max(a.Val(), i.Val(), 0), nil
}

// Failure records a failed attempt and reports whether it locked the
// account or the IP just now (worth an audit entry of its own).
func (l *Lockout) Failure(ctx context.Context, email, ip string) (locked bool, err error) {
	p := l.policy
	account := l.accountKey(email)
	pipe := l.rdb.Pipeline()
	a := redis.NewIntCmd(ctx) // zero failures for a malformed email
	if account != "" {
		a = pipe.Incr(ctx, account)
		pipe.Expire(ctx, account, p.Window)
	}
	i := pipe.Incr(ctx, l.ipKey(ip))
	pipe.Expire(ctx, l.ipKey(ip), p.Window)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("admins: lockout: %w", err)
	}
	wait := func(n, slow, lock int64) time.Duration {
		switch {
		case n >= lock:
			return p.LockFor
		case n >= slow:
			return min(time.Second<<min(n-slow, 30), p.MaxSlow)
		}
		return 0
	}
	pipe = l.rdb.Pipeline()
	if d := wait(a.Val(), p.AccountSlow, p.AccountLock); d > 0 && account != "" {
		pipe.Set(ctx, account+":until", "1", d)
	}
	if d := wait(i.Val(), p.IPSlow, p.IPLock); d > 0 {
		pipe.Set(ctx, l.ipKey(ip)+":until", "1", d)
	}
	if pipe.Len() > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return false, fmt.Errorf("admins: lockout: %w", err)
		}
	}
	return a.Val() == p.AccountLock || i.Val() == p.IPLock, nil
}

// Success forgets an account's failures after a correct password. The IP's
// count stays: one right password must not reset a spray over many accounts.
func (l *Lockout) Success(ctx context.Context, email string) error {
	account := l.accountKey(email)
	if account == "" {
		return nil
	}
	pipe := l.rdb.Pipeline() // one key per command: the keys may sit on different cluster slots
	pipe.Del(ctx, account)
	pipe.Del(ctx, account+":until")
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("admins: lockout: %w", err)
	}
	return nil
}
