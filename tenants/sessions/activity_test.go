package sessions_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/sessions"
)

// TestLastSeenAndNoHistory: a session's last use is what Get noted, not a
// figure worked out from the TTL, so lowering the tenant's idle lifetime
// does not move it to "now"; making sessions writes no login history to
// Redis any more (it is in MySQL, tenants/loginlog); ListUsers names each
// session's app and drops revoked ones.
func TestLastSeenAndNoHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, keys := newStore(t, b)
		token := create(t, s, 1, 42)
		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		issued := list[0].IssuedAt
		if !list[0].LastSeen.Equal(issued) {
			t.Fatalf("an unused session was last seen at %v, not at its login %v", list[0].LastSeen, issued)
		}
		// A use under a shorter idle lifetime than the session was made
		// with (an admin lowered it): the last use is still when it was.
		if _, err := s.Get(ctx, 1, token, sessions.Policy{Idle: 10 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		list, err = s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 1 {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		seen := list[0].LastSeen
		if seen.Before(issued) || seen.After(time.Now().Add(time.Second)) {
			t.Fatalf("last seen %v, issued %v", seen, issued)
		}
		again, err := s.ListUsers(ctx, 1, []int64{42, 43}, 0)
		if err != nil || len(again) != 1 || !again[0].LastSeen.Equal(seen) || again[0].AppID != 1 || again[0].UserID != 42 {
			t.Fatalf("ListUsers = %+v, %v", again, err)
		}
		const more = 12
		for range more {
			create(t, s, 1, 42)
		}
		if h := keys(":t:1:u:42:h"); len(h) != 0 {
			t.Fatalf("a login history in Redis: %v", h)
		}
		if err := s.Revoke(ctx, 1, 42, sessions.IDOf(token)); err != nil {
			t.Fatal(err)
		}
		after, err := s.ListUsers(ctx, 1, []int64{42}, 0)
		if err != nil || len(after) != more { // the first session was revoked
			t.Fatalf("ListUsers after a revocation = %d, %v", len(after), err)
		}
		for _, i := range after {
			if i.ID == sessions.IDOf(token) {
				t.Fatal("a revoked session is listed")
			}
		}
	})
}
