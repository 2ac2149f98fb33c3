package e2e

import (
	"testing"
	"time"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// TestRedisKilledUnderLoad SIGKILLs Redis while logins and /me run: every
// request finishes, failing ones with 503 unavailable, and the same
// process serves again once Redis is back (its data lost: old sessions
// are gone, new logins work). A second node's tenant change then reaches
// the first soon after: its invalidation subscription came back too.
func TestRedisKilledUnderLoad(t *testing.T) {
	t.Parallel()
	rs := tenantstest.StartRedis(t)
	s := newStack(t, stackConfig{redis: rs})
	n, other := s.start(), s.start()
	pid := n.proc.Pid()

	var clock phaseClock
	tokens, l := mixedLoad(t, s, n, &clock)

	clock.set("down")
	rs.Kill()
	// While Redis is gone, requests fail with 503 unavailable.
	eventually(t, 30*time.Second, "a 503 while Redis is down", func() string {
		if r := n.me("acme", tokens[0]); r.status != 503 || r.code != "unavailable" {
			return r.String()
		}
		return ""
	})
	// Down until the load itself has a request refused with 503.
	l.await(t, "a /me refused while Redis is down", answered("down", "me", 503, "unavailable"))

	clock.set("restarted")
	rs.Start()
	// The node recovers by itself: a new login and its /me work.
	waitServing(t, s, n, 60*time.Second, "Redis restart")
	clock.set("recovered")
	// Redis came back empty: the load's old sessions are gone (401), its
	// new logins are served.
	l.await(t, "a login served after recovery", answered("recovered", "login", 200, ""))
	results := l.finish()
	summarize(t, results)

	if n.proc.Exited() || n.proc.Pid() != pid {
		t.Fatal("the miniauth process did not survive the Redis outage")
	}
	// Redis came back empty: the old sessions are gone, a silent re-login.
	judgeOutage(t, results, "Redis was down", func(r loadResult) bool {
		return r.status == 401 && r.code == "invalid_session" && r.what == "me" && r.phase != "before"
	})

	// Tenant cache invalidations flow again: a revoke-all of acme made
	// through the other node refuses n's sessions within a second.
	token, _ := n.mustLogin(s.wx, "acme", appID, "after-restart")
	other.signIn().do(204, "POST", "/tenants/acme/sessions/revoke-all", "")
	eventually(t, propagation, "revoke-all through the other node after the Redis restart", func() string {
		if r := n.me("acme", token); r.status != 401 || r.code != "invalid_session" {
			return r.String()
		}
		return ""
	})
}

// TestRedisRestoredSnapshotKeepsRevocations revokes sessions, bans a user
// and revokes a whole tenant, then brings Redis back from a snapshot taken
// before: what MySQL remembers (bans, user and tenant epochs) stays
// refused although the sessions are back in Redis, and so do single sessions
// ended by a logout or an admin (revoked_sessions in MySQL).
func TestRedisRestoredSnapshotKeepsRevocations(t *testing.T) {
	t.Parallel()
	rs := tenantstest.StartRedis(t)
	s := newStack(t, stackConfig{redis: rs})
	n := s.start()
	adm := n.signIn()

	alice1, _ := n.mustLogin(s.wx, "acme", appID, "alice")
	alice2, _ := n.mustLogin(s.wx, "acme", appID, "alice")
	bob, bobID := n.mustLogin(s.wx, "acme", appID, "bob")
	carol, carolID := n.mustLogin(s.wx, "acme", appID, "carol")
	dave, _ := n.mustLogin(s.wx, "acme", appID, "dave")
	erin, _ := n.mustLogin(s.wx, "globex", otherAppID, "erin")
	frank1, frankID := n.mustLogin(s.wx, "acme", appID, "frank")
	frank2, _ := n.mustLogin(s.wx, "acme", appID, "frank")

	rs.Save() // the snapshot an operator might restore
	if r := n.do("POST", "/t/acme/logout", "", "Authorization", "Bearer "+alice1); r.status != 204 {
		t.Fatalf("logout: %s", r)
	}
	adm.do(200, "DELETE", "/tenants/acme/users/"+bobID+"/sessions", "")
	adm.do(200, "POST", "/tenants/acme/users/"+carolID+"/ban", "")
	adm.do(204, "POST", "/tenants/globex/sessions/revoke-all", "")
	adm.do(204, "DELETE", "/tenants/acme/users/"+frankID+"/sessions/"+sessions.IDOf(frank1), "")

	rs.Kill()
	rs.Start() // loads the snapshot: every session above exists again
	eventually(t, 30*time.Second, "dave's session back from the snapshot", func() string {
		if r := n.me("acme", dave); r.status != 200 {
			return r.String()
		}
		return ""
	})

	refused := func(r result) bool {
		return r.status == 401 && r.code == "invalid_session" || r.status == 403 && r.code == "user_banned"
	}
	for _, c := range []struct {
		what, slug, token string
		valid             bool
	}{
		{what: "dave, untouched", slug: "acme", token: dave, valid: true},
		{what: "alice's other session", slug: "acme", token: alice2, valid: true},
		{what: "frank's other session", slug: "acme", token: frank2, valid: true},
		{what: "banned carol", slug: "acme", token: carol},
		{what: "erin after globex's revoke-all", slug: "globex", token: erin},
		{what: "bob after an admin revoked all his sessions", slug: "acme", token: bob},
		{what: "alice's logged-out session", slug: "acme", token: alice1},
		{what: "frank's session revoked by an admin", slug: "acme", token: frank1},
	} {
		r := n.me(c.slug, c.token)
		switch {
		case c.valid && r.status != 200:
			t.Errorf("%s: /me = %s, want 200", c.what, r)
		case !c.valid && !refused(r):
			t.Errorf("%s came back with the snapshot: /me = %s, want 401 invalid_session or 403 user_banned", c.what, r)
		}
	}
	if r := n.login(s.wx, "acme", appID, "carol"); r.status != 403 || r.code != "user_banned" {
		t.Errorf("banned carol logs in again: %s", r)
	}
}

// TestRedisStalledUnderLoad stops Redis (SIGSTOP) while logins and /me
// run: connections stay open but nothing answers. Every request still
// finishes, failing ones with 503 unavailable after the client's short
// timeouts, and once Redis resumes the same process serves the old
// sessions again (no data was lost).
func TestRedisStalledUnderLoad(t *testing.T) {
	t.Parallel()
	rs := tenantstest.StartRedis(t)
	s := newStack(t, stackConfig{redis: rs})
	n := s.start()

	var clock phaseClock
	tokens, l := mixedLoad(t, s, n, &clock)

	clock.set("stalled")
	rs.Pause()
	eventually(t, 30*time.Second, "a 503 while Redis is stalled", func() string {
		if r := n.me("acme", tokens[0]); r.status != 503 || r.code != "unavailable" {
			return r.String()
		}
		return ""
	})
	// Stalled until a request that started during the stall has given up
	// with 503 (the ones in flight when it began may still be waiting).
	l.await(t, "a /me refused while Redis is stalled", answered("stalled", "me", 503, "unavailable"))

	clock.set("resumed")
	rs.Resume()
	eventually(t, 30*time.Second, "old sessions served again after Redis resumed", func() string {
		if r := n.me("acme", tokens[0]); r.status != 200 {
			return r.String()
		}
		return ""
	})
	clock.set("recovered")
	awaitRecovered(t, l)
	results := l.finish()
	summarize(t, results)

	judgeOutage(t, results, "Redis was stalled", nil)
}
