package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the API's Prometheus collectors. Domain packages register
// their own (WeChat calls, breakers, pools) on the same registry.
type Metrics struct {
	gatherer prometheus.Gatherer
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	logins   *prometheus.CounterVec
}

// NewMetrics registers the API's collectors on reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		gatherer: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "miniauth_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_logins_total", Help: "Logins by tenant and outcome (ok or the error code).",
		}, []string{"tenant", "outcome"}),
	}
	reg.MustRegister(m.requests, m.latency, m.logins)
	return m
}

// observe records one finished request.
func (m *Metrics) observe(c *fiber.Ctx, route string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	// Labels outlive the request: copy what fasthttp would reuse.
	m.requests.WithLabelValues(route, strings.Clone(c.Method()), strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(elapsed.Seconds())
	if route == "/t/:tenant/login" || route == "/t/:tenant/register" || route == "/t/:tenant/login/wechat-app" {
		outcome := "ok"
		if code, _ := c.Locals(localErrorCode).(string); code != "" {
			outcome = code
		}
		if t := tenantOf(c); t != nil || outcome != "tenant_not_found" {
			m.logins.WithLabelValues(tenantSlug(c), outcome).Inc()
		}
	}
}

// Handler serves the registry in the Prometheus text format. It belongs on
// a listener of its own (MINIAUTH_METRICS_ADDR), never the public app: the
// series name every tenant and AppID.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
}
