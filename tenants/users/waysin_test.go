package users_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

// Two users linking the same identity at once: one of them gets it, the
// other is refused; the identity never has two owners and no user merges.
func TestConcurrentLinksOfOneIdentity(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app := tn.Apps[0].ID
	const n = 8
	owners := make([]*users.User, n)
	for i := range owners {
		u, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oOwner" + string(rune('A'+i))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		owners[i] = u
	}
	contested := users.Login{TenantID: tn.ID, AppID: app, OpenID: "oCONTESTED", UnionID: "uCONTESTED"}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range owners {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = store.Link(ctx, contested, owners[i].ID, audit.CLI)
		}(i)
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, users.ErrIdentityInUse):
			t.Fatalf("link %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d links won, want 1: %v", won, errs)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM identities WHERE openid = 'oCONTESTED'`); c != 1 {
		t.Fatalf("%d rows of the contested identity", c)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM users WHERE unionid = 'uCONTESTED'`); c != 1 {
		t.Fatalf("%d users hold the contested unionid", c)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM users`); c != n {
		t.Fatalf("%d users, want %d: a link merged users", c, n)
	}
}

func TestUnlinkRules(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app := tn.Apps[0].ID
	u, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oONE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ways, err := store.WaysIn(ctx, u)
	if err != nil || len(ways) != 1 || ways[0].Kind != "miniprogram" || ways[0].LastUsedAt == nil {
		t.Fatalf("ways in %+v, %v", ways, err)
	}
	for _, tc := range []struct {
		id   string
		want error
	}{
		{ways[0].ID, users.ErrLastWayIn},
		{users.PhoneWayID, users.ErrNoWayIn},
		{"0", users.ErrNoWayIn},
		{"-1", users.ErrNoWayIn},
		{"not-a-number", users.ErrNoWayIn},
	} {
		if err := store.Unlink(ctx, tn.ID, u.ID, tc.id, audit.CLI); !errors.Is(err, tc.want) {
			t.Errorf("unlink %q: %v, want %v", tc.id, err, tc.want)
		}
	}
	// With a phone the identity may go, and then the phone is the last.
	if _, err := store.BindPhone(ctx, tn.ID, u.ID, "+8613800138000"); err != nil {
		t.Fatal(err)
	}
	if err := store.Unlink(ctx, tn.ID, u.ID, ways[0].ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := store.Unlink(ctx, tn.ID, u.ID, users.PhoneWayID, audit.CLI); !errors.Is(err, users.ErrLastWayIn) {
		t.Fatalf("unlink the last phone: %v", err)
	}
	if c := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.identity_unlinked'`); c != 1 {
		t.Fatalf("%d unlink audit entries, want 1 (refusals write nothing)", c)
	}
	// Another user's id is not this user's.
	other, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oTWO"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := store.WaysIn(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Unlink(ctx, tn.ID, u.ID, theirs[0].ID, audit.CLI); !errors.Is(err, users.ErrNoWayIn) {
		t.Fatalf("unlink another user's identity: %v", err)
	}
}
