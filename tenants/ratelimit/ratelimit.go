// Package ratelimit limits request rates with GCRA counters kept in Redis
// (go-redis/redis_rate), so that every node shares the same budgets. Each
// budget belongs to a tenant and lives under the tenant's namespace. Every
// budget goes through a front in memory that asks Redis only when it
// matters, and in blocks (front.go).
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limits are a tenant's budgets; zero fields take the defaults. They suit
// mobile carriers' NAT, where thousands of real users share one address:
// generous per address, tight per person.
type Limits struct {
	LoginPerTenantPerSecond   int `json:"login_per_tenant_per_second,omitempty"`
	LoginPerIPPerMinute       int `json:"login_per_ip_per_minute,omitempty"`
	LoginPerIdentityPerMinute int `json:"login_per_identity_per_minute,omitempty"`
	SessionPerTokenPerMinute  int `json:"session_per_token_per_minute,omitempty"`
	APIKeyPerSecond           int `json:"api_key_per_second,omitempty"`
}

// Defaults.
const (
	DefaultLoginPerTenantPerSecond   = 1000
	DefaultLoginPerIPPerMinute       = 1200
	DefaultLoginPerIdentityPerMinute = 10
	DefaultSessionPerTokenPerMinute  = 600
	DefaultAPIKeyPerSecond           = 2000
)

// Validate refuses negative and absurd budgets.
func (l Limits) Validate() error {
	for _, v := range []int{l.LoginPerTenantPerSecond, l.LoginPerIPPerMinute, l.LoginPerIdentityPerMinute,
		l.SessionPerTokenPerMinute, l.APIKeyPerSecond} {
		if v < 0 || v > 1_000_000 {
			return errors.New("rate limits must be between 0 (the default) and 1000000")
		}
	}
	return nil
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Budgets of a kind.
func (l Limits) loginTenant() redis_rate.Limit {
	return redis_rate.PerSecond(or(l.LoginPerTenantPerSecond, DefaultLoginPerTenantPerSecond))
}
func (l Limits) loginIP() redis_rate.Limit {
	return redis_rate.PerMinute(or(l.LoginPerIPPerMinute, DefaultLoginPerIPPerMinute))
}
func (l Limits) loginIdentity() redis_rate.Limit {
	return redis_rate.PerMinute(or(l.LoginPerIdentityPerMinute, DefaultLoginPerIdentityPerMinute))
}
func (l Limits) sessionToken() redis_rate.Limit {
	return redis_rate.PerMinute(or(l.SessionPerTokenPerMinute, DefaultSessionPerTokenPerMinute))
}
func (l Limits) apiKey() redis_rate.Limit {
	return redis_rate.PerSecond(or(l.APIKeyPerSecond, DefaultAPIKeyPerSecond))
}

// Exceeded is the error of a spent budget; RetryAfter says when to retry.
type Exceeded struct {
	Budget     string
	RetryAfter time.Duration
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("ratelimit: %s budget spent; retry after %s", e.Budget, e.RetryAfter)
}

// Limiter checks budgets.
type Limiter struct {
	l      *redis_rate.Limiter
	prefix string
	// Every budget goes through a front in memory (front.go), by kind.
	fronts map[string]*front
}

// New returns a Limiter over rdb; prefix starts every key (e.g. "ma").
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{l: redis_rate.NewLimiter(rdb), prefix: prefix, fronts: map[string]*front{
		"login": newFront(time.Second), "login-ip": newFront(time.Minute), "login-id": newFront(time.Minute),
		"session": newFront(time.Minute), "apikey": newFront(time.Second),
	}}
}

// allow spends one request of a budget.
func (r *Limiter) allow(ctx context.Context, tenantID int64, budget, id string, limit redis_rate.Limit) error {
	// The front knows the key by a hash of "<tenant>:<id>", built on the
	// stack: it keeps no copy of the key. Redis's key is built only when
	// Redis is asked.
	var buf [128]byte
	local := append(append(strconv.AppendInt(buf[:0], tenantID, 10), ':'), id...)
	charge := func(ctx context.Context, n int) (*redis_rate.Result, error) {
		key := r.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":rl:" + budget + ":" + id
		return r.l.AllowN(ctx, key, limit, n)
	}
	res, err := r.fronts[budget].allow(ctx, local, limit, charge)
	if err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	if res.Allowed == 0 {
		return &Exceeded{Budget: budget, RetryAfter: res.RetryAfter}
	}
	return nil
}

// Login spends one login of the tenant's and of the client address's budget.
func (r *Limiter) Login(ctx context.Context, tenantID int64, ip string, l Limits) error {
	if err := r.allow(ctx, tenantID, "login", "all", l.loginTenant()); err != nil {
		return err
	}
	return r.allow(ctx, tenantID, "login-ip", ip, l.loginIP())
}

// Identity spends one login of a WeChat identity's (app and openid) budget.
func (r *Limiter) Identity(ctx context.Context, tenantID, appID int64, openid string, l Limits) error {
	return r.allow(ctx, tenantID, "login-id", strconv.FormatInt(appID, 10)+":"+openid, l.loginIdentity())
}

// Session spends one request of a session's budget; sessionID is the
// token's hash, never the token.
func (r *Limiter) Session(ctx context.Context, tenantID int64, sessionID string, l Limits) error {
	return r.allow(ctx, tenantID, "session", sessionID, l.sessionToken())
}

// APIKey spends one request of an API key's budget, by the key's id.
func (r *Limiter) APIKey(ctx context.Context, tenantID int64, keyID string, l Limits) error {
	return r.allow(ctx, tenantID, "apikey", keyID, l.apiKey())
}
