package users_test

import (
	"context"
	"testing"
	"time"

	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

// The login history (tenants/loginlog) has no foreign key: deleting a user
// deletes its rows in the same transaction, and a merge moves the loser's
// rows to the winner, whose history they were.
func TestLoginHistoryFollowsTheUser(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app1 := secondApp(t, db, tn)
	note := func(userID int64, n int) {
		for i := range n {
			db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at, app_id, way) VALUES (?, ?, ?, ?, 'miniprogram')`,
				tn.ID, userID, time.Now().Add(time.Duration(i)*time.Second), tn.Apps[0].ID)
		}
	}
	logins := func(userID int64) int {
		return count(t, db, `SELECT COUNT(*) FROM login_history WHERE tenant_id = ? AND user_id = ?`, tn.ID, userID)
	}

	gone, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oGONE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oKEPT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	note(gone.ID, 3)
	note(kept.ID, 2)
	if err := store.Delete(ctx, tn.ID, gone.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if n := logins(gone.ID); n != 0 {
		t.Fatalf("%d login history rows of a deleted user", n)
	}
	if n := logins(kept.ID); n != 2 {
		t.Fatalf("the other user's history has %d rows, want 2", n)
	}

	// A merge: the older user (oOLD) wins, the newer (oNEW, holding the
	// unionid) loses; both histories end up the winner's.
	older, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOLD"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	newer, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oNEW", UnionID: "uHIST"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	note(older.ID, 1)
	note(newer.ID, 4)
	win, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOLD", UnionID: "uHIST"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if win.ID != older.ID {
		t.Fatalf("winner %d, want the older user %d", win.ID, older.ID)
	}
	if n := logins(older.ID); n != 5 {
		t.Fatalf("the winner's history has %d rows, want its 1 and the loser's 4", n)
	}
	if n := logins(newer.ID); n != 0 {
		t.Fatalf("the merged-away user keeps %d rows", n)
	}
}
