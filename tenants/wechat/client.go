// Package wechat is a client for WeChat's server APIs (api.weixin.qq.com).
//
// It knows nothing about tenants: every call takes the AppID and AppSecret it
// should use. Failures are either a *APIError (WeChat answered with an
// errcode) or an error wrapping ErrUnavailable (WeChat could not be reached or
// answered something that is not a WeChat reply). No error ever carries the
// AppSecret, a login code or a session_key.
package wechat

import (
	"net/http"
	"strings"
	"time"
)

// DefaultBaseURL is the address of WeChat's server APIs.
const DefaultBaseURL = "https://api.weixin.qq.com"

// Defaults applied by New to zero (or negative) Config fields.
const (
	DefaultAttemptTimeout = 4 * time.Second
	DefaultTotalTimeout   = 9 * time.Second
	DefaultRetryDelay     = 100 * time.Millisecond
)

// maxBody bounds how much of a response is read; WeChat's answers are tiny.
const maxBody = 64 << 10

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	BaseURL        string        // e.g. DefaultBaseURL or a simulator's URL
	HTTPClient     *http.Client  // optional; the default pools 100 idle connections per host and follows no redirect
	AttemptTimeout time.Duration // per HTTP attempt
	TotalTimeout   time.Duration // whole call, retry included
	RetryDelay     time.Duration // pause before the single retry on errcode -1
	// Observe, when set, hears of every attempt: the API, its outcome ("ok",
	// the errcode as text, or "unavailable") and how long it took. Metrics
	// hang here; nothing secret is passed.
	Observe func(api, outcome string, elapsed time.Duration)
}

// Client calls WeChat's server APIs. It is safe for concurrent use.
type Client struct {
	baseURL        string
	http           *http.Client
	attemptTimeout time.Duration
	totalTimeout   time.Duration
	retryDelay     time.Duration
	observe        func(api, outcome string, elapsed time.Duration)
}

// New returns a Client for cfg, filling in defaults.
func New(cfg Config) *Client {
	c := &Client{
		baseURL:        strings.TrimRight(cfg.BaseURL, "/"),
		http:           cfg.HTTPClient,
		attemptTimeout: orDefault(cfg.AttemptTimeout, DefaultAttemptTimeout),
		totalTimeout:   orDefault(cfg.TotalTimeout, DefaultTotalTimeout),
		retryDelay:     orDefault(cfg.RetryDelay, DefaultRetryDelay),
		observe:        cfg.Observe,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// defaultHTTPClient keeps enough idle connections for a busy login server
// and refuses redirects: WeChat never redirects, so one means a proxy or a
// captive portal, and following it would only hide the problem.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 200
	t.MaxIdleConnsPerHost = 100
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
