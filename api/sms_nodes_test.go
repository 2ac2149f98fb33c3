package api_test

import (
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
	send := func(node int, phone string) response {
		t.Helper()
		return e.doAt(nodes[node], "POST", "/t/acme/sms/send", `{"phone":"`+phone+`"}`)
	}

	// Per phone: one a minute, whichever node is asked.
	e.enableSMS(sms.Tencent, sms.Limits{AddressPerHour: 100, AddressPerDay: 100})
	if r := send(0, "+8613200132001"); r.Status != 202 {
		t.Fatalf("node 1: %d %s", r.Status, r.Raw)
	}
	if r := send(1, "+8613200132001"); r.Status != 429 || r.errCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("node 2, the same phone within the minute: %d %s", r.Status, r.Raw)
	}
	code := e.smsCode("+8613200132001")
	if r := e.doAt(nodes[1], "POST", "/t/acme/login/sms", `{"phone":"+8613200132001","code":"`+code+`"}`); r.Status != 200 {
		t.Fatalf("login on node 2 with node 1's code: %d %s", r.Status, r.Raw)
	}
	if r := e.doAt(nodes[0], "POST", "/t/acme/login/sms", `{"phone":"+8613200132001","code":"`+code+`"}`); r.Status != 401 {
		t.Fatalf("the code again on node 1: %d %s", r.Status, r.Raw)
	}

	// Per address: three an hour between both nodes.
	e.putSMS(smsSettings(sms.Tencent, sms.Limits{AddressPerHour: 3, AddressPerDay: 100}))
	for i := 2; i <= 3; i++ { // the first of the hour was sent above
		if r := send(i%2, "+861320013200"+strconv.Itoa(i)); r.Status != 202 {
			t.Fatalf("send %d: %d %s", i, r.Status, r.Raw)
		}
	}
	for node := range nodes {
		if r := send(node, "+8613200132009"); r.Status != 429 || r.errCode() != "rate_limited" {
			t.Fatalf("node %d past the address's budget: %d %s", node+1, r.Status, r.Raw)
		}
	}

	// The tenant's daily cap: 5 today (three were sent above), audited
	// once when reached, whichever node refuses.
	e.putSMS(smsSettings(sms.Tencent, sms.Limits{AddressPerHour: 100, AddressPerDay: 100, TenantPerDay: 5}))
	for i, node := range []int{1, 0} {
		if r := send(node, "+861320013200"+strconv.Itoa(5+i)); r.Status != 202 {
			t.Fatalf("send %d of the day: %d %s", 4+i, r.Status, r.Raw)
		}
	}
	for i, node := range []int{0, 1, 0} {
		if r := send(node, "+861320013201"+strconv.Itoa(i)); r.Status != 429 || r.errCode() != "rate_limited" {
			t.Fatalf("past the daily cap on node %d: %d %s", node+1, r.Status, r.Raw)
		}
	}
	if n := e.count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action = 'sms.daily_cap_reached'", e.tenant.ID); n != 1 {
		t.Fatalf("%d sms.daily_cap_reached audit entries, want 1", n)
	}
	if n := e.sms.Calls(sms.Tencent); n != 5 {
		t.Fatalf("%d sends reached the provider, want 5", n)
	}
	noSMSCodeIn(t, e.logs.String())
}
