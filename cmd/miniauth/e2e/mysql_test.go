package e2e

import (
	"fmt"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

// TestMariaDBKilledUnderLoad SIGKILLs MariaDB while logins (which write
// users and identities) and /me run: every request finishes, failing ones
// with 503 unavailable (/me of users in the node's memory goes on
// answering 200); the same process serves again once MariaDB has
// recovered; no user is left without its identity or the other way round,
// and every login that answered 200 kept its user and its session.
func TestMariaDBKilledUnderLoad(t *testing.T) {
	t.Parallel()
	db := tenantstest.StartMariaDB(t)
	s := newStack(t, stackConfig{mysql: db})
	n := s.start()
	pid := n.proc.Pid()

	var clock phaseClock
	tokens, l := mixedLoad(t, s, n, &clock)

	clock.set("down")
	db.Kill()
	try := 0
	eventually(t, 30*time.Second, "a login answering 503 while MariaDB is down", func() string {
		try++
		if r := n.login(s.wx, "acme", appID, fmt.Sprintf("during-%d", try)); r.status != 503 || r.code != "unavailable" {
			return r.String()
		}
		return ""
	})
	// Sessions live in Redis and their users in the node's memory: GET /me
	// of a user the node has seen keeps answering without MariaDB.
	if r := n.me("acme", tokens[0]); r.status != 200 {
		t.Errorf("/me of a cached user while MariaDB is down: %s", r)
	}
	// Down until the load itself has a login refused with 503.
	l.await(t, "a login refused while MariaDB is down", answered("down", "login", 503, "unavailable"))

	clock.set("restarted")
	db.Start()
	waitServing(t, s, n, 60*time.Second, "MariaDB restart")
	clock.set("recovered")
	awaitRecovered(t, l)
	results := l.finish()
	summarize(t, results)

	if n.proc.Exited() || n.proc.Pid() != pid {
		t.Fatal("the miniauth process did not survive the MariaDB outage")
	}
	loggedIn := judgeOutage(t, results, "MariaDB was down", nil)

	// Nothing half-written: users and identities come in pairs.
	ctx := waitCtx(t)
	var orphans struct{ Users, Identities int }
	if err := s.db.GetContext(ctx, &orphans.Users,
		`SELECT COUNT(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id)`); err != nil {
		t.Fatal(err)
	}
	if err := s.db.GetContext(ctx, &orphans.Identities,
		`SELECT COUNT(*) FROM identities i WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id)`); err != nil {
		t.Fatal(err)
	}
	if orphans.Users != 0 || orphans.Identities != 0 {
		t.Errorf("half-written rows after the crash: %d users without identity, %d identities without user",
			orphans.Users, orphans.Identities)
	}
	// Every login that answered 200 was committed: its user and session work.
	for _, r := range loggedIn {
		if me := n.me("acme", sessionOf(r)); me.status != 200 {
			t.Errorf("a login answered 200 but its session fails after recovery: %s", me)
		}
	}
	var users int
	if err := s.db.GetContext(ctx, &users, `SELECT COUNT(*) FROM users`); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d users in MySQL, %d logins answered 200 during the load", users, len(loggedIn))
}
