package signin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"miniauth/tenants/audit"
	"miniauth/tenants/signin"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
)

// Every login that worked is noted in the login history (tenants/loginlog)
// with its time, app, address, device and way; a refused one is not.
func TestEnterNotesTheLogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := newEnv(t)
	a := e.attempt(e.tenant, "oHISTORY000000000000000000001")
	in, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client, Way: stats.WayMiniProgram})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.history.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := e.history.List(ctx, e.tenant.ID, in.User.ID, 20)
	if err != nil || len(list) != 1 {
		t.Fatalf("history = %+v, %v; want the one login", list, err)
	}
	l := list[0]
	if l.At.Sub(in.Session.IssuedAt).Abs() >= time.Millisecond || l.AppID != a.AppID || l.IP != client.IP ||
		l.Device != in.Session.Device || l.Device == "" || l.Way != "miniprogram" {
		t.Fatalf("history entry %+v, session %+v", l, in.Session)
	}

	if err := e.users.SetBanned(ctx, e.tenant.ID, in.User.ID, true, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client}); !errors.Is(err, users.ErrBanned) {
		t.Fatalf("a banned user: %v", err)
	}
	if err := e.history.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM login_history WHERE user_id = ?`, in.User.ID); n != 1 {
		t.Fatalf("%d history rows after a refused login, want 1", n)
	}
}

// MySQL down for the login history: the login works all the same, and
// the login is missing from the history, dropped with its batch.
func TestEnterWithTheHistoryDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := newEnv(t)
	e.historyDB.Down()
	in, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: e.attempt(e.tenant, "oHISTORYDOWN0000000000000001"),
		Client: client, Way: stats.WayMiniProgram})
	if err != nil {
		t.Fatalf("a login failed for its history: %v", err)
	}
	if err := e.history.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	e.historyDB.Up(t)
	if err := e.history.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM login_history WHERE user_id = ?`, in.User.ID); n != 0 {
		t.Fatalf("%d history rows of a batch MySQL refused", n)
	}
	again, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: e.attempt(e.tenant, "oHISTORYDOWN0000000000000001"),
		Client: client, Way: stats.WayMiniProgram})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.history.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM login_history WHERE user_id = ?`, again.User.ID); n != 1 {
		t.Fatalf("%d history rows once MySQL is back, want 1", n)
	}
}
