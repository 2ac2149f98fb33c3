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

	me := func(name string, token *string, status int, code string) scenario {
		return scenario{name: name, method: "GET", path: "/t/acme/me", status: status, code: code,
			headerFn: func(*env) []string { return bearer(*token) }}
	}
	// login is a row of what e.login does, the session_key noted as a
	// secret the logs must not hold.
	login := func(name, user string, delta state) scenario {
		return scenario{name: name, path: "/t/acme/login", status: 200, delta: delta,
			bodyFn: func(e *env) string { return `{"code":"` + e.code(user) + `"}` },
			check:  func(t *testing.T, r response) { remember(e.wx.SessionKey(demoAppID, user), "session_key") }}
	}
	readyz := func(name string, status int) scenario {
		return scenario{name: name, method: "GET", path: "/readyz", status: status}
	}

	t.Run("mysql", func(t *testing.T) {
		var carol string
		// Every row checks that it changed nothing unless it says what
		// (delta): the failed login too.
		runStory(t, e, scenario{}, []scenario{
			// alice's /me puts her in the node's memory; carol logged in,
			// but this node does not hold her.
			me("GET /me", &alice, 200, ""),
			{name: "carol logs in", path: "/t/acme/login", status: 200, delta: state{1, 1, 1},
				bodyFn: func(e *env) string { return `{"code":"` + e.code("carol") + `"}` },
				check: func(t *testing.T, r response) {
					carol = r.str("session")
					remember(e.wx.SessionKey(demoAppID, "carol"), "session_key")
				}},
			{name: "login with MySQL down", path: "/t/acme/login", status: 503, code: "unavailable",
				bodyFn: func(e *env) string { return `{"code":"` + e.code("second") + `"}` },
				before: func(e *env) {
					var carolID int64
					if err := e.db.Get(&carolID, "SELECT user_id FROM identities WHERE openid = ?", e.wx.OpenID(demoAppID, "carol")); err != nil {
						e.t.Fatal(err)
					}
					e.users.Invalidate(context.Background(), e.tenant.ID, carolID)
					e.mysqlProxy.Down()
				}},
			// Sessions are in Redis and alice in the node's memory: her /me
			// needs no MySQL. carol's needs her row, and fails cleanly.
			me("GET /me of a user in memory with MySQL down", &alice, 200, ""),
			me("GET /me of a user not in memory with MySQL down", &carol, 503, "unavailable"),
			readyz("GET /readyz with MySQL down", 503),
			{name: "GET /me after MySQL came back", method: "GET", path: "/t/acme/me", status: 200,
				headerFn: func(*env) []string { return bearer(alice) }, before: func(e *env) { e.mysqlProxy.Up(e.t) }},
			login("login after MySQL came back", "second", state{1, 1, 1}),
		})
	})

	t.Run("redis", func(t *testing.T) {
		var start time.Time
		runStory(t, e, scenario{}, []scenario{
			{name: "login with Redis down", path: "/t/acme/login", status: 503, code: "unavailable",
				bodyFn: func(e *env) string { return `{"code":"` + e.code("newcomer") + `"}` },
				before: func(e *env) { e.redisProxy.Down(); start = time.Now() }},
			me("GET /me with Redis down", &alice, 503, "unavailable"),
			readyz("GET /readyz with Redis down", 503),
			{name: "GET /healthz with Redis down", method: "GET", path: "/healthz", status: 200,
				check: func(t *testing.T, r response) {
					if elapsed := time.Since(start); elapsed > 15*time.Second {
						t.Fatalf("requests hung for %v with Redis down", elapsed) // a hang, not a speed assertion
					}
				}},
			{name: "GET /me after Redis came back", method: "GET", path: "/t/acme/me", status: 200,
				headerFn: func(*env) []string { return bearer(alice) }, before: func(e *env) { e.redisProxy.Up(e.t) }},
			readyz("GET /readyz after Redis came back", 200),
			login("login after Redis came back", "newcomer", state{1, 1, 1}),
		})
	})

	t.Run("logs", func(t *testing.T) {
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
	rows = append(rows,
		scenario{name: "the caller's request id is kept", path: "/healthz", header: []string{"X-Request-Id", "trace-123"}, status: 200,
			check: func(t *testing.T, r response) {
				if r.Header.Get("X-Request-Id") != "trace-123" {
					t.Fatal("the caller's request id was not kept")
				}
			}},
		scenario{name: "GET /readyz while draining", path: "/readyz", status: 503, before: func(e *env) { e.srv.Drain() }})
	runScenarios(t, e, scenario{method: "GET"}, rows)
}
