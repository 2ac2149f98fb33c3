package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"miniauth/api"
)

func TestMetricsEndpoint(t *testing.T) {
	var metrics *api.Metrics
	e := newEnv(t, func(d *api.Deps) { metrics = d.Metrics })
	// On their own address (MINIAUTH_METRICS_ADDR), never the public one:
	// they name every tenant and AppID.
	private := httptest.NewServer(metrics.Handler())
	t.Cleanup(private.Close)
	runStory(t, e, scenario{}, []scenario{
		{name: "public /metrics", method: "GET", path: "/metrics", status: 404},
		{name: "a login", path: "/t/acme/login", bodyFn: func(e *env) string { return `{"code":"` + e.code("alice") + `"}` },
			status: 200, delta: state{1, 1, 1},
			check: func(t *testing.T, r response) { remember(e.wx.SessionKey(demoAppID, "alice"), "session_key") }},
		{name: "an unknown code", path: "/t/acme/login", body: `{"code":"0123456789abcdefABCDEF0123456789"}`, status: 401, code: "invalid_code"},
		{name: "an unknown tenant", path: "/t/nobody/login", body: `{"code":"abc"}`, status: 404, code: "tenant_not_found"},
		{name: "private /metrics", method: "GET", path: private.URL + "/metrics", raw: true, status: 200,
			check: func(t *testing.T, r response) {
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
					t.Fatalf("/metrics: %s", r.Header.Get("Content-Type"))
				}
				for _, want := range []string{
					`miniauth_http_requests_total{method="POST",route="/t/:tenant/login",status="200"} 1`,
					`miniauth_http_requests_total{method="POST",route="/t/:tenant/login",status="401"} 1`,
					`miniauth_logins_total{outcome="ok",tenant="acme"} 1`,
					`miniauth_logins_total{outcome="invalid_code",tenant="acme"} 1`,
					`miniauth_http_request_duration_seconds_bucket{route="/t/:tenant/login"`,
				} {
					if !strings.Contains(r.Raw, want) {
						t.Errorf("/metrics lacks %s", want)
					}
				}
				if strings.Contains(r.Raw, `tenant="nobody"`) {
					t.Error("an unknown tenant's slug became a label: anyone could grow the series without bound")
				}
			}},
	})
}
