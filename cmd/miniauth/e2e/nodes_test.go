package e2e

import (
	"fmt"
	"testing"
	"time"
)

// propagation is how long a change made through one node may take to show
// on every other node before a test gives up. miniauth takes milliseconds
// (an announcement over Redis pub/sub); the deadline is generous so that
// a slow or starved machine does not fail the test, and a node that never
// hears of a change still does.
const propagation = 10 * time.Second

// TestThreeNodes runs three `miniauth serve` processes on one MySQL and one
// Redis: a session made on one node is valid on the others, and every
// revocation, ban, tenant change and AppSecret rotation made through the
// admin API of node 0 shows on nodes 1 and 2 (within milliseconds; the
// test allows propagation).
func TestThreeNodes(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	nodes := []*node{s.start(), s.start(), s.start()}
	others := nodes[1:]
	adm := nodes[0].signIn()

	// everywhere polls each other node until check(node) is "" or
	// propagation has passed since the change was made.
	everywhere := func(what string, check func(n *node) string) {
		t.Helper()
		for i, n := range others {
			eventually(t, propagation, fmt.Sprintf("node %d: %s", i+1, what), func() string { return check(n) })
		}
	}
	meIs := func(slug, token string, status int, code string) func(n *node) string {
		return func(n *node) string {
			if r := n.me(slug, token); r.status != status || r.code != code {
				return fmt.Sprintf("GET /me = %s, want %d %s", r, status, code)
			}
			return ""
		}
	}
	loginIs := func(slug, app string, status int, code string) func(n *node) string {
		return func(n *node) string {
			if r := n.login(s.wx, slug, app, "poller"); r.status != status || r.code != code {
				return fmt.Sprintf("login = %s, want %d %s", r, status, code)
			}
			return ""
		}
	}

	// A login on any node is valid on every node.
	tokens := map[string]string{}
	ids := map[string]string{}
	for i, user := range []string{"alice", "bob", "carol", "dave"} {
		tokens[user], ids[user] = nodes[i%3].mustLogin(s.wx, "acme", appID, user)
		for j, n := range nodes {
			if r := n.me("acme", tokens[user]); r.status != 200 || r.body["user"].(map[string]any)["id"] != ids[user] {
				t.Fatalf("%s logged in on node %d, /me on node %d = %s", user, i%3, j, r)
			}
		}
	}
	erin, _ := nodes[2].mustLogin(s.wx, "globex", otherAppID, "erin")
	// Warm every node's tenant cache, so that staying stale would show.
	everywhere("logins work", loginIs("acme", appID, 200, ""))

	// Logout on node 1: refused on node 2 (and node 0).
	if r := nodes[1].do("POST", "/t/acme/logout", "", "Authorization", "Bearer "+tokens["alice"]); r.status != 204 {
		t.Fatalf("logout: %s", r)
	}
	everywhere("alice logged out", meIs("acme", tokens["alice"], 401, "invalid_session"))

	// An admin ends all of bob's sessions.
	adm.do(200, "DELETE", "/tenants/acme/users/"+ids["bob"]+"/sessions", "")
	everywhere("bob's sessions revoked", meIs("acme", tokens["bob"], 401, "invalid_session"))

	// An admin bans carol.
	adm.do(200, "POST", "/tenants/acme/users/"+ids["carol"]+"/ban", "")
	everywhere("carol banned", func(n *node) string {
		if r := n.me("acme", tokens["carol"]); r.status == 200 {
			return "GET /me = " + r.String()
		}
		if r := n.login(s.wx, "acme", appID, "carol"); r.status != 403 || r.code != "user_banned" {
			return "login = " + r.String()
		}
		return ""
	})

	// Rotating the AppSecret to one WeChat does not know breaks logins on
	// every node at once (WeChat says 40125); rotating back mends them.
	adm.do(204, "PUT", "/tenants/acme/apps/"+appID+"/secret", `{"secret":"a-secret-wechat-does-not-know-0123"}`)
	everywhere("secret rotated away", loginIs("acme", appID, 502, "tenant_misconfigured"))
	adm.do(204, "PUT", "/tenants/acme/apps/"+appID+"/secret", `{"secret":"`+appSecret+`"}`)
	everywhere("secret rotated back", loginIs("acme", appID, 200, ""))

	// Revoking all of globex's sessions (a tenant epoch, cached per node).
	everywhere("erin valid", meIs("globex", erin, 200, ""))
	adm.do(204, "POST", "/tenants/globex/sessions/revoke-all", "")
	everywhere("globex revoke-all", meIs("globex", erin, 401, "invalid_session"))

	// Disabling acme: dave's session and every login are refused.
	everywhere("dave valid", meIs("acme", tokens["dave"], 200, ""))
	adm.do(200, "POST", "/tenants/acme/disable", "")
	everywhere("acme disabled", func(n *node) string {
		if msg := meIs("acme", tokens["dave"], 403, "tenant_disabled")(n); msg != "" {
			return msg
		}
		return loginIs("acme", appID, 403, "tenant_disabled")(n)
	})
}
