package api_test

import (
	"io"
	"net/http"
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
	if r := e.do("GET", "/metrics", ""); r.Status != 404 {
		t.Fatalf("public /metrics: %d %s", r.Status, r.Raw)
	}
	e.login("alice")
	e.do("POST", "/t/acme/login", `{"code":"0123456789abcdefABCDEF0123456789"}`)
	e.do("POST", "/t/nobody/login", `{"code":"abc"}`)
	res, err := http.Get(private.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	body := string(raw)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`miniauth_http_requests_total{method="POST",route="/t/:tenant/login",status="200"} 1`,
		`miniauth_http_requests_total{method="POST",route="/t/:tenant/login",status="401"} 1`,
		`miniauth_logins_total{outcome="ok",tenant="acme"} 1`,
		`miniauth_logins_total{outcome="invalid_code",tenant="acme"} 1`,
		`miniauth_http_request_duration_seconds_bucket{route="/t/:tenant/login"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `tenant="nobody"`) {
		t.Error("an unknown tenant's slug became a label: anyone could grow the series without bound")
	}
}
