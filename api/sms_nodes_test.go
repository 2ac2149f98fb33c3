package api_test

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants/sms"
)

// The SMS budgets hold across nodes: a second API node on the same MySQL
// and Redis (as tokens_nodes_test.go runs one) shares the per-phone, the
// per-address and the tenant's daily budgets, and a code sent through one
// node logs in through the other.
func TestSMSLimitsAcrossNodes(t *testing.T) {
	var deps api.Deps
	e := newEnv(t, func(d *api.Deps) { deps = *d })
	node2 := api.New(deps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = node2.App().Listener(ln) }()
	t.Cleanup(func() { _ = node2.App().ShutdownWithTimeout(5 * time.Second) })
	nodes := []string{e.base, "http://" + ln.Addr().String()}
	send := func(name string, node int, phone string, status int) scenario {
		sc := scenario{name: name, path: nodes[node] + "/t/acme/sms/send", body: `{"phone":"` + phone + `"}`, status: status}
		if status == 429 {
			sc.code = "rate_limited"
		}
		return sc
	}
	var code string
	smsLogin := func(name string, node int, status int, delta state) scenario {
		return scenario{name: name, path: nodes[node] + "/t/acme/login/sms", status: status, delta: delta,
			bodyFn: func(e *env) string {
				if code == "" { // the SMS node 1 sent
					code = e.smsCode("+8613200132001")
				}
				return `{"phone":"+8613200132001","code":"` + code + `"}`
			}}
	}

	// Per phone: one a minute, whichever node is asked.
	e.enableSMS(sms.Tencent, sms.Limits{AddressPerHour: 100, AddressPerDay: 100})
	steps := []scenario{
		send("node 1", 0, "+8613200132001", 202),
		send("node 2, the same phone within the minute", 1, "+8613200132001", 429),
		smsLogin("login on node 2 with node 1's code", 1, 200, state{1, 0, 1}),
		smsLogin("the code again on node 1", 0, 401, state{}),
	}
	steps[1].check = func(t *testing.T, r response) {
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}

	// Per address: three an hour between both nodes.
	for i := 2; i <= 3; i++ { // the first of the hour was sent above
		steps = append(steps, send(fmt.Sprintf("send %d", i), i%2, "+861320013200"+strconv.Itoa(i), 202))
	}
	steps[4].before = func(e *env) { e.putSMS(smsSettings(sms.Tencent, sms.Limits{AddressPerHour: 3, AddressPerDay: 100})) }
	for node := range nodes {
		steps = append(steps, send(fmt.Sprintf("node %d past the address's budget", node+1), node, "+8613200132009", 429))
	}

	// The tenant's daily cap: 5 today (three were sent above), audited
	// once when reached, whichever node refuses.
	daily := len(steps)
	for i, node := range []int{1, 0} {
		steps = append(steps, send(fmt.Sprintf("send %d of the day", 4+i), node, "+861320013200"+strconv.Itoa(5+i), 202))
	}
	steps[daily].before = func(e *env) {
		e.putSMS(smsSettings(sms.Tencent, sms.Limits{AddressPerHour: 100, AddressPerDay: 100, TenantPerDay: 5}))
	}
	for i, node := range []int{0, 1, 0} {
		sc := send(fmt.Sprintf("past the daily cap on node %d (%d)", node+1, i+1), node, "+861320013201"+strconv.Itoa(i), 429)
		if i == 0 { // the first refusal records the cap; the others record nothing
			sc.changes, sc.audit = true, []string{"sms.daily_cap_reached"}
		}
		steps = append(steps, sc)
	}
	runStory(t, e, scenario{}, steps)
	if n := e.count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action = 'sms.daily_cap_reached'", e.tenant.ID); n != 1 {
		t.Fatalf("%d sms.daily_cap_reached audit entries, want 1", n)
	}
	if n := e.sms.Calls(sms.Tencent); n != 5 {
		t.Fatalf("%d sends reached the provider, want 5", n)
	}
	noSMSCodeIn(t, e.logs.String())
}
