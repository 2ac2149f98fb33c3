package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

// get fetches url and returns the status and body, or status 0 when
// nothing answers.
func get(url string) (int, string) {
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// /metrics names every tenant and AppID: serve puts it on its own address
// and never on the public one, and stops it on shutdown.
func TestServeMetricsOnItsOwnAddress(t *testing.T) {
	emptyDatabase(t)
	_, prefix := tenantstest.Redis(t)
	public := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	metrics := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	t.Setenv("MINIAUTH_AUTO_MIGRATE", "true")
	t.Setenv("MINIAUTH_REDIS_PREFIX", prefix)
	t.Setenv("MINIAUTH_ADDR", public)
	t.Setenv("MINIAUTH_METRICS_ADDR", metrics)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs tenantstest.SyncBuffer
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, &logs) }()

	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if status, _ := get("http://" + public + "/readyz"); status == 200 {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready within 60s:\n%s", logs.String())
		}
	}
	if status, body := get("http://" + public + "/metrics"); status != 404 {
		t.Fatalf("public /metrics: %d %.200s", status, body)
	}
	if status, body := get("http://" + metrics + "/metrics"); status != 200 ||
		!strings.Contains(body, `miniauth_http_requests_total{method="GET",route="/readyz",status="200"}`) {
		t.Fatalf("metrics address /metrics: %d %.500s", status, body)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop within 60s:\n%s", logs.String())
	}
	if status, _ := get("http://" + metrics + "/metrics"); status != 0 {
		t.Fatalf("the metrics listener outlived serve: %d", status)
	}
}
