// Package guard stands between miniauth and WeChat's code2session: it makes
// sure a login code reaches WeChat at most once across every node, and it
// trips a per-app circuit breaker when WeChat stops answering, so that a
// sick WeChat costs a fast 502 instead of piled-up requests.
package guard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"miniauth/tenants/wechat"
)

// Config tunes a Guard; zero fields take the defaults noted.
type Config struct {
	Failures  uint32        // consecutive WeChat failures that open an app's breaker; 5
	OpenFor   time.Duration // how long an open breaker fails fast before trying again; 10s
	CodeTTL   time.Duration // how long a used code is remembered; 5 minutes, a code's lifetime
	KeyPrefix string        // Redis key prefix, e.g. "ma"
}

// Guard wraps a wechat.Client's Code2Session.
type Guard struct {
	client *wechat.Client
	rdb    redis.UniversalClient
	cfg    Config
	state  *prometheus.GaugeVec

	mu       sync.Mutex
	breakers map[string]*gobreaker.CircuitBreaker[wechat.Session]
}

// ErrOpen is returned while an app's breaker is open; it is also
// wechat.ErrUnavailable.
var ErrOpen = fmt.Errorf("%w: circuit breaker open", wechat.ErrUnavailable)

// New returns a Guard. reg, when not nil, gets the breaker-state gauge.
func New(client *wechat.Client, rdb redis.UniversalClient, cfg Config, reg prometheus.Registerer) *Guard {
	if cfg.Failures == 0 {
		cfg.Failures = 5
	}
	if cfg.OpenFor <= 0 {
		cfg.OpenFor = 10 * time.Second
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 5 * time.Minute
	}
	g := &Guard{client: client, rdb: rdb, cfg: cfg, breakers: make(map[string]*gobreaker.CircuitBreaker[wechat.Session]),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "miniauth_wechat_breaker_state",
			Help: "Circuit breaker per WeChat app: 0 closed, 1 half-open, 2 open.",
		}, []string{"appid"})}
	if reg != nil {
		reg.MustRegister(g.state)
	}
	return g
}

// Code2Session exchanges code like wechat.Client.Code2Session, but a code
// already sent to WeChat (by any node, now or in the last CodeTTL) is refused
// here with errcode 40163 without calling WeChat, and an open breaker fails
// fast with ErrOpen.
func (g *Guard) Code2Session(ctx context.Context, appid, secret, code string) (wechat.Session, error) {
	key := g.claimKey(appid, code)
	claimed, err := g.claim(ctx, key)
	if err != nil {
		return wechat.Session{}, fmt.Errorf("guard: claim code: %w", err)
	}
	if !claimed {
		return wechat.Session{}, &wechat.APIError{API: wechat.APICode2Session, Code: wechat.CodeCodeUsed, AppID: appid, Msg: "code been used (refused before reaching WeChat)"}
	}
	s, err := g.breaker(appid).Execute(func() (wechat.Session, error) {
		return g.client.Code2Session(ctx, appid, secret, code)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = wechat.ForApp(appid, ErrOpen)
	}
	if errors.Is(err, wechat.ErrUnavailable) {
		// WeChat most likely never used the code: let the client try it again.
		g.rdb.Del(context.WithoutCancel(ctx), key)
	}
	return s, err
}

// claim takes the code's key for this call. The value is the call's own
// random token: when Redis was slow, the client may send SET NX again
// after the first one was applied, and the second then finds the key set;
// reading back its own token tells that from another caller's claim (which
// would otherwise refuse this login as a used code).
func (g *Guard) claim(ctx context.Context, key string) (bool, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	claimed, err := g.rdb.SetNX(ctx, key, token, g.cfg.CodeTTL).Result()
	if err != nil || claimed {
		return claimed, err
	}
	held, err := g.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil // released meanwhile: still someone else's attempt
	}
	return err == nil && held == token, err
}

func (g *Guard) claimKey(appid, code string) string {
	sum := sha256.Sum256([]byte(appid + "\x00" + code))
	return g.cfg.KeyPrefix + ":code:" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// State reports an app's breaker state.
func (g *Guard) State(appid string) gobreaker.State { return g.breaker(appid).State() }

func (g *Guard) breaker(appid string) *gobreaker.CircuitBreaker[wechat.Session] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b, ok := g.breakers[appid]; ok {
		return b
	}
	g.state.WithLabelValues(appid).Set(0)
	b := gobreaker.NewCircuitBreaker[wechat.Session](gobreaker.Settings{
		Name:        appid,
		MaxRequests: 1,
		Timeout:     g.cfg.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= g.cfg.Failures },
		// Only WeChat being down counts: a bad code is WeChat working fine.
		IsSuccessful: func(err error) bool { return !errors.Is(err, wechat.ErrUnavailable) },
		// A caller that gave up says nothing about WeChat.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, _, to gobreaker.State) {
			g.state.WithLabelValues(name).Set(float64(to))
		},
	})
	g.breakers[appid] = b
	return b
}

// CallMetrics returns a wechat.Config.Observe function that counts WeChat
// calls by API and outcome (errcode) and times them, registered on reg.
func CallMetrics(reg prometheus.Registerer) func(api, outcome string, elapsed time.Duration) {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "miniauth_wechat_calls_total", Help: "Calls to WeChat by API and outcome (ok, errcode, unavailable).",
	}, []string{"api", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "miniauth_wechat_call_duration_seconds", Help: "Latency of calls to WeChat by API.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 4, 8},
	}, []string{"api"})
	reg.MustRegister(calls, latency)
	return func(api, outcome string, elapsed time.Duration) {
		calls.WithLabelValues(api, outcome).Inc()
		latency.WithLabelValues(api).Observe(elapsed.Seconds())
	}
}
