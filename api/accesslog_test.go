package api_test

import (
	"strings"
	"testing"
)

// TestAccessLogScrubsWhatClientsShape: the access log line skips the
// redactor for speed, so the two values a client shapes, the path (the
// route when nothing matched) and the tenant's slug as typed, are scrubbed
// on their own; a made-up method is refused before any handler.
func TestAccessLogScrubsWhatClientsShape(t *testing.T) {
	e := newEnv(t)
	token := "mas_" + strings.Repeat("Zq9", 15)
	runScenarios(t, e, scenario{method: "GET"}, []scenario{
		{name: "a token as the tenant", path: "/t/" + token + "/me", status: 404, code: "tenant_not_found"},
		{name: "a token as a path", path: "/" + token, status: 404, raw: true},
		{name: "a made-up method", method: "MAS_" + strings.Repeat("X", 24), path: "/t/acme/me", status: 400, raw: true},
	})
	logs := e.logs.String()
	if strings.Contains(logs, token) || strings.Contains(logs, "MAS_XXXX") {
		t.Fatalf("a client's value reached the log unscrubbed:\n%s", logs)
	}
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, `"route":"/t/acme/me"`) && !strings.Contains(logs, `"route":"/t/:tenant/me"`) {
		t.Fatalf("access log lines missing:\n%s", logs)
	}
}
