package users_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/users"
)

// loginTimes reads a user's last_login_at and that of its identity of
// (app, openid), in milliseconds since the epoch (0 for NULL).
func loginTimes(t *testing.T, db *sqlx.DB, userID, app int64, openid string) (user, identity int64) {
	t.Helper()
	var u, i sql.NullTime
	if err := db.QueryRow(`SELECT u.last_login_at, i.last_login_at
		FROM users u JOIN identities i ON i.user_id = u.id AND i.app_id = ? AND i.openid = ? WHERE u.id = ?`,
		app, openid, userID).Scan(&u, &i); err != nil {
		t.Fatal(err)
	}
	ms := func(v sql.NullTime) int64 {
		if !v.Valid {
			return 0
		}
		return v.Time.UnixMilli()
	}
	return ms(u), ms(i)
}

// TestBatchedTouches: with WithBatchedTouches, a returning login's two
// times reach MySQL with the next flush, not at the login; a read that
// shows them (List, Identities) flushes first; a time is never set back;
// a user deleted meanwhile is skipped; more logins than one statement
// takes all land; Close writes what waits.
func TestBatchedTouches(t *testing.T) {
	ctx := context.Background()
	db, _, tn := setup(t)
	store := users.NewStore(db, users.WithBatchedTouches(time.Hour, slog.New(slog.DiscardHandler))) // no tick in the test
	app := tn.Apps[0].ID
	login := func(openid string) *users.User {
		t.Helper()
		u, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: openid}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	first := login("oTOUCH")
	firstAt, _ := loginTimes(t, db, first.ID, app, "oTOUCH")
	time.Sleep(5 * time.Millisecond) // the second login must be a later millisecond
	again := login("oTOUCH")
	if u, _ := loginTimes(t, db, first.ID, app, "oTOUCH"); u != firstAt {
		t.Fatalf("the returning login was written at once (%d, was %d): not batched", u, firstAt)
	}
	want := again.LastLoginAt.UnixMilli()
	if want <= firstAt {
		t.Fatalf("the returning login's time %d is not after the first's %d", want, firstAt)
	}
	if _, err := store.Identities(ctx, tn.ID, first.ID); err != nil { // a read flushes this node's first
		t.Fatal(err)
	}
	if u, i := loginTimes(t, db, first.ID, app, "oTOUCH"); u != want || i != want {
		t.Fatalf("after a read: user %d, identity %d; want both %d", u, i, want)
	}

	// Never backwards: a later time written meanwhile stays.
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	if _, err := db.Exec(`UPDATE users SET last_login_at = ? WHERE id = ?`, later, first.ID); err != nil {
		t.Fatal(err)
	}
	login("oTOUCH")
	store.FlushTouches(ctx)
	if u, _ := loginTimes(t, db, first.ID, app, "oTOUCH"); u != later.UnixMilli() {
		t.Fatalf("a later last_login_at was set back to %d", u)
	}

	// A user deleted before the flush is skipped; the others are written,
	// more than one statement's worth; Close writes what waits.
	gone := login("oGONE")
	login("oGONE")
	if _, err := db.Exec(`DELETE FROM users WHERE id = ?`, gone.ID); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	var openids []string
	for i := range 300 {
		o := fmt.Sprintf("oMANY%03d", i)
		ids[o], openids = login(o).ID, append(openids, o)
	}
	time.Sleep(5 * time.Millisecond)
	wants := map[string]int64{}
	for _, o := range openids {
		wants[o] = login(o).LastLoginAt.UnixMilli()
	}
	if err := store.Close(ctx); err != nil { // the deleted user's login among them
		t.Fatalf("Close: %v", err)
	}
	for _, o := range openids {
		if u, i := loginTimes(t, db, ids[o], app, o); u != wants[o] || i != wants[o] {
			t.Fatalf("%s after Close: user %d, identity %d; want both %d", o, u, i, wants[o])
		}
	}
}

// TestBatchedTouchesMySQLDown: a flush MySQL refuses is a warning naming
// how many logins lost their times, never a panic; the logins had
// already succeeded.
func TestBatchedTouchesMySQLDown(t *testing.T) {
	ctx := context.Background()
	db, _, tn := setup(t) // the pool is closed below: the test's cleanup closing it again is harmless
	var logs bytes.Buffer
	store := users.NewStore(db, users.WithBatchedTouches(time.Hour, slog.New(slog.NewTextHandler(&logs, nil))))
	l := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oDOWN"}
	for range 2 {
		if _, _, err := store.FindOrRegister(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if err := store.Close(ctx); err == nil {
		t.Fatal("Close with MySQL gone returned nil")
	}
	if s := logs.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "last login times not written") || !strings.Contains(s, "logins=1") {
		t.Fatalf("log %q", s)
	}
}

// TestBatchedTouchesWhileLoggingIn: flushes run while logins queue their
// times (the race detector watches), and after Close every user's time
// is the latest of its logins.
func TestBatchedTouchesWhileLoggingIn(t *testing.T) {
	ctx := context.Background()
	db, _, tn := setup(t)
	store := users.NewStore(db, users.WithBatchedTouches(time.Millisecond, slog.New(slog.DiscardHandler)))
	app := tn.Apps[0].ID
	var wg sync.WaitGroup
	latest := make([]int64, 4)
	ids := make([]int64, 4)
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := users.Login{TenantID: tn.ID, AppID: app, OpenID: fmt.Sprintf("oRACE%d", w)}
			for range 30 {
				u, _, err := store.FindOrRegister(ctx, l, nil)
				if err != nil {
					errs <- err
					return
				}
				ids[w], latest[w] = u.ID, u.LastLoginAt.UnixMilli()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for w := range 4 {
		if u, i := loginTimes(t, db, ids[w], app, fmt.Sprintf("oRACE%d", w)); u != latest[w] || i != latest[w] {
			t.Fatalf("user %d: user %d, identity %d; want both %d", w, u, i, latest[w])
		}
	}
}
