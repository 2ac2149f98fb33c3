package users_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/audit"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/users"
)

// Two nodes keep users in memory. Every change that matters to a session
// made on one is seen by the other within a second; a plain login is not
// announced, but never hides the session's own login time.
func TestUserCacheAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, _, tn := setup(t)
	rdb, prefix := tenantstest.Redis(t)
	node := func() *users.Store {
		return users.NewStore(db, users.WithCache(tenantstest.Bus(t, rdb, prefix), users.CacheConfig{TTL: time.Hour}))
	}
	a, b := node(), node()
	app := tn.Apps[0].ID
	u, _, err := b.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oCACHE0000000000000000000001"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := func() (*users.User, bool) {
		t.Helper()
		got, revoked, err := a.ForSession(ctx, tn.ID, u.ID, "sess-1")
		if err != nil {
			t.Fatal(err)
		}
		return got, revoked
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s not seen by the other node within 10s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first, _ := seen()

	// From memory: a change behind the stores' back is not seen.
	db.MustExec(`UPDATE users SET nickname = 'behind' WHERE id = ?`, u.ID)
	if got, _ := seen(); got.Nickname != first.Nickname {
		t.Fatal("the second read went to MySQL")
	}

	// A plain login on b: a's copy may keep the older time, but a session
	// issued by that login shows its own.
	issued := time.Now().Truncate(time.Second)
	if _, _, err := b.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oCACHE0000000000000000000001"}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := seen()
	if last := users.LastLogin(got, issued); last.Before(issued) {
		t.Fatalf("last login %v hides the session's own login at %v", last, issued)
	}

	changes := []struct {
		what   string
		change func() error
		seen   func(*users.User, bool) bool
	}{
		{"a profile change", func() error {
			nick := "renamed"
			_, err := b.UpdateProfile(ctx, tn.ID, u.ID, users.Profile{Nickname: &nick})
			return err
		}, func(u *users.User, _ bool) bool { return u.Nickname == "renamed" }},
		{"one session revoked", func() error {
			return b.NoteRevoked(ctx, tn.ID, u.ID, "sess-1", time.Now().Add(time.Hour))
		}, func(_ *users.User, revoked bool) bool { return revoked }},
		{"every session revoked", func() error { return b.RevokeSessions(ctx, tn.ID, u.ID) },
			func(u *users.User, _ bool) bool { return u.SessionEpoch > first.SessionEpoch }},
		{"a ban", func() error { return b.SetBanned(ctx, tn.ID, u.ID, true, audit.CLI) },
			func(u *users.User, _ bool) bool { return u.Banned() }},
	}
	for _, c := range changes {
		if err := c.change(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		within(c.what, func() bool { return c.seen(seen()) })
	}

	if err := b.Delete(ctx, tn.ID, u.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	within("a deletion", func() bool {
		_, _, err := a.ForSession(ctx, tn.ID, u.ID, "sess-1")
		return err != nil
	})
}
