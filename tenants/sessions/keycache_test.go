package sessions_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/memo"
	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// Two nodes keep a tenant's signing keys in memory for an hour. A
// rotation on either node, or from a command line whose bus never
// listens, drops them on every node: the other node signs with the new
// current key, not the retired one, long before its copy would expire.
func TestSigningKeyCacheAcrossNodes(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	ring := tenantstest.Keyring(t)
	rdb, prefix := tenantstest.Redis(t)
	tn, err := tenants.NewRegistry(db, ring).Create(ctx, tenants.NewTenant{Slug: "keycache", Name: "KC",
		AppID: "wxkeycache001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	// The keys' clock is moved past the publish lead before each rotation;
	// the caches' TTL runs on the real one.
	clock := &fakeClock{now: time.Now().Truncate(time.Second)}
	p := sessions.KeyPolicy{CacheTTL: time.Hour, PublishLead: time.Minute}
	node := func() *sessions.SigningKeys {
		return sessions.NewSigningKeys(db, ring, p, clock.Now, sessions.WithKeyCache(tenantstest.Bus(t, rdb, prefix)))
	}
	// The tenant's first keys are made before the nodes read them: a node
	// that makes them announces it, and that announcement may reach the
	// other node after its first read, which it then drops (correct, and
	// not what this test checks: the one failure of this test was that).
	if _, err := sessions.NewSigningKeys(db, ring, p, clock.Now).Published(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	a, b := node(), node()
	current := func(k *sessions.SigningKeys) string {
		t.Helper()
		keys, err := k.Published(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			if key.State == sessions.KeyCurrent {
				return key.KID
			}
		}
		t.Fatal("no current key published")
		return ""
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s not seen by the other node within 20s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := current(a)
	if got := current(b); got != first {
		t.Fatalf("the nodes disagree on the first current key: %s, %s", first, got)
	}

	// From memory: a change behind the store's back is not seen.
	db.MustExec(`UPDATE signing_keys SET state = 'retired', retire_after = ? WHERE tenant_id = ? AND state = 'current'`,
		clock.Now().Add(time.Hour), tn.ID)
	if got := current(b); got != first {
		t.Fatal("the second read went to MySQL")
	}
	db.MustExec(`UPDATE signing_keys SET state = 'current', retire_after = NULL WHERE tenant_id = ? AND kid = ?`, tn.ID, first)

	clock.Add(2 * time.Minute)
	rot, err := a.Rotate(ctx, tn.ID, "", audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Current == first || current(a) != rot.Current {
		t.Fatalf("the rotating node signs with %s after rotating from %s to %s", current(a), first, rot.Current)
	}
	within("a rotation", func() bool { return current(b) == rot.Current })

	// A command line's store: its bus never listens, so it keeps nothing,
	// and announces all the same.
	clock.Add(2 * time.Minute)
	cli := sessions.NewSigningKeys(db, ring, p, clock.Now, sessions.WithKeyCache(memo.NewBus(rdb, prefix, slog.New(slog.DiscardHandler))))
	rot2, err := cli.Rotate(ctx, tn.ID, "", audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	within("a command line's rotation", func() bool { return current(a) == rot2.Current && current(b) == rot2.Current })
}
