package api_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Redis and MySQL go away and come back; the API answers 503 fast while
// they are gone, writes nothing half-way, and recovers by itself.
func TestDependenciesDownAndBack(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")

	t.Run("mysql", func(t *testing.T) {
		e.t = t
		// alice's /me puts her in the node's memory; carol logged in, but
		// this node does not hold her.
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 200 {
			t.Fatalf("/me: %d %s", r.Status, r.Raw)
		}
		carol := e.login("carol")
		var carolID int64
		if err := e.db.Get(&carolID, "SELECT user_id FROM identities WHERE openid = ?", e.wx.OpenID(demoAppID, "carol")); err != nil {
			t.Fatal(err)
		}
		e.users.Invalidate(context.Background(), e.tenant.ID, carolID)
		e.mysqlProxy.Down()
		before := e.state()
		if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("second")+`"}`); r.Status != 503 || r.errCode() != "unavailable" {
			t.Fatalf("login with MySQL down: %d %s", r.Status, r.Raw)
		}
		// Sessions are in Redis and alice in the node's memory: her /me
		// needs no MySQL. carol's needs her row, and fails cleanly.
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 200 {
			t.Fatalf("/me of a user in memory with MySQL down: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(carol)...); r.Status != 503 || r.errCode() != "unavailable" {
			t.Fatalf("/me of a user not in memory with MySQL down: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/readyz", ""); r.Status != 503 {
			t.Fatalf("/readyz with MySQL down: %d", r.Status)
		}
		if after := e.state(); after != before {
			t.Fatalf("failed login changed state: %+v → %+v", before, after)
		}
		e.mysqlProxy.Up(t)
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 200 {
			t.Fatalf("/me after MySQL came back: %d %s", r.Status, r.Raw)
		}
		e.login("second")
	})

	t.Run("redis", func(t *testing.T) {
		e.t = t
		e.redisProxy.Down()
		before := e.state()
		start := time.Now()
		if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("newcomer")+`"}`); r.Status != 503 || r.errCode() != "unavailable" {
			t.Fatalf("login with Redis down: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 503 || r.errCode() != "unavailable" {
			t.Fatalf("/me with Redis down: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/readyz", ""); r.Status != 503 {
			t.Fatalf("/readyz with Redis down: %d", r.Status)
		}
		if r := e.do("GET", "/healthz", ""); r.Status != 200 {
			t.Fatalf("/healthz with Redis down: %d", r.Status)
		}
		if elapsed := time.Since(start); elapsed > 15*time.Second {
			t.Fatalf("requests hung for %v with Redis down", elapsed) // a hang, not a speed assertion
		}
		if after := e.state(); after != before {
			t.Fatalf("failed login left a half-written user: %+v → %+v", before, after)
		}
		e.redisProxy.Up(t)
		if r := e.do("GET", "/t/acme/me", "", bearer(alice)...); r.Status != 200 {
			t.Fatalf("/me after Redis came back: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/readyz", ""); r.Status != 200 {
			t.Fatalf("/readyz after Redis came back: %d", r.Status)
		}
		e.login("newcomer")
	})

	t.Run("logs", func(t *testing.T) {
		e.t = t
		logs := e.logs.String()
		if !strings.Contains(logs, `"code":"unavailable"`) {
			t.Fatal("dependency failures were not logged")
		}
		for _, secret := range []string{demoSecret, alice, alice[len("mas_"):], e.wx.SessionKey(demoAppID, "alice")} {
			if strings.Contains(logs, secret) {
				t.Fatalf("a secret appears in the logs")
			}
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	e := newEnv(t)
	requestID := func(t *testing.T, r response) {
		if r.Header.Get("X-Request-Id") == "" {
			t.Fatal("no X-Request-Id")
		}
	}
	rows := []scenario{
		{name: "GET /healthz", path: "/healthz", status: 200},
		{name: "GET /readyz", path: "/readyz", status: 200},
		{name: "GET /nowhere", path: "/nowhere", status: 404, code: "not_found"},
		{name: "GET /t/acme/login", path: "/t/acme/login", status: 404, code: "not_found"},
		{name: "DELETE /t/acme/me", method: "DELETE", path: "/t/acme/me", status: 404, code: "not_found"},
		// No such endpoint, whatever the tenant or the session (docs/api.md).
		{name: "GET /t/acme/nowhere", path: "/t/acme/nowhere", status: 404, code: "not_found"},
		{name: "GET /t/nobody/nowhere", path: "/t/nobody/nowhere", status: 404, code: "not_found"},
		{name: "GET /admin/api/nowhere", path: "/admin/api/nowhere", status: 404, code: "not_found"},
	}
	for i := range rows {
		rows[i].check = requestID
	}
	runScenarios(t, e, scenario{method: "GET"}, rows)
	r := e.do("GET", "/healthz", "", "X-Request-Id", "trace-123")
	if r.Header.Get("X-Request-Id") != "trace-123" {
		t.Fatal("the caller's request id was not kept")
	}
	e.srv.Drain()
	if r := e.do("GET", "/readyz", ""); r.Status != 503 {
		t.Fatalf("/readyz while draining: %d", r.Status)
	}
}
