package api_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants/tokens"
)

// TestTwoNodesShareOneAccessToken runs a second API node on the same MySQL,
// Redis and WeChat, with its own token cache: phone numbers bound through
// both nodes at once, and backends reading the token from both, cost one
// stable_token call between them.
func TestTwoNodesShareOneAccessToken(t *testing.T) {
	var deps api.Deps
	e := newEnv(t, func(d *api.Deps) { deps = *d })
	deps.Tokens = tokens.New(e.rdb, e.prefix, deps.WeChat, tokens.Config{Keys: e.keys, Now: e.clock.Now}) // node 2's own cache, same Redis namespace
	node2 := api.New(deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = node2.App().Listener(ln) }()
	t.Cleanup(func() { _ = node2.App().ShutdownWithTimeout(5 * time.Second) })
	bases := []string{e.base, "http://" + ln.Addr().String()}

	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	const people = 12
	sessions := make([]string, people)
	for i := range sessions {
		sessions[i] = e.login("p" + string(rune('a'+i)))
	}
	// The burst, both nodes at once, cannot be rows: it runs in the
	// first step's before, with its checks; the steps read the token
	// from each node afterwards, still without another stable_token call.
	var shared any
	burst := func(e *env) {
		var wg sync.WaitGroup
		statuses := make([]int, 2*people)
		tokensSeen := make([]any, people)
		for i := 0; i < people; i++ {
			wg.Add(2)
			go func(i int) {
				defer wg.Done()
				r := e.doAt(bases[i%2], "POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "p"+string(rune('a'+i)))+`"}`, bearer(sessions[i])...)
				statuses[i] = r.Status
			}(i)
			go func(i int) {
				defer wg.Done()
				r := e.doAt(bases[(i+1)%2], "GET", "/t/acme/wechat/access-token", "", bearer(key)...)
				statuses[people+i], tokensSeen[i] = r.Status, r.Body["access_token"]
			}(i)
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 200 {
				e.t.Fatalf("request %d: status %d; logs: %s", i, s, tailLines(e.logs.String(), 3))
			}
		}
		for i := range tokensSeen {
			if tokensSeen[i] != tokensSeen[0] {
				e.t.Fatal("the nodes handed out different tokens")
			}
		}
		shared = tokensSeen[0]
	}
	same := func(t *testing.T, r response) {
		if r.at("access_token") != shared {
			t.Fatalf("a token other than the burst's: %s", r.Raw)
		}
		if n := e.wx.Calls("stable_token"); n != 1 {
			t.Fatalf("%d stable_token calls from two nodes, want 1", n)
		}
	}
	runStory(t, e, scenario{method: "GET", path: "/t/acme/wechat/access-token", header: bearer(key)}, []scenario{
		{name: "node 1 after the burst", before: burst, status: 200, check: same},
		{name: "node 2 after the burst", path: bases[1] + "/t/acme/wechat/access-token", status: 200, check: same},
	})
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
