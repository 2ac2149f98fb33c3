package users_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/users"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

func setup(t *testing.T, opts ...users.Option) (*sqlx.DB, *users.Store, *tenants.Tenant) {
	t.Helper()
	db, _, store, tn := setupDSN(t, opts...)
	return db, store, tn
}

func setupDSN(t *testing.T, opts ...users.Option) (*sqlx.DB, string, *users.Store, *tenants.Tenant) {
	t.Helper()
	db, dsn := tenantstest.DB(t)
	reg := tenants.NewRegistry(db, tenantstest.Keyring(t))
	tn, err := reg.Create(context.Background(), tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	return db, dsn, users.NewStore(db, opts...), tn
}

// batchesPool is a pool for users.WithBatches to the database of dsn, with
// at most one connection (so that a test can read that connection's own
// counts).
func batchesPool(t *testing.T, dsn string) *sqlx.DB {
	t.Helper()
	bdsn, err := users.BatchesDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := sqlx.MustOpen("mysql", bdsn)
	b.SetMaxOpenConns(1)
	b.SetMaxIdleConns(1)
	t.Cleanup(func() { b.Close() })
	return b
}

// eachStore runs f with a store that writes a new user a statement a round
// trip, and with one that writes it in the round trip that opens its
// transaction (users.WithBatches).
func eachStore(t *testing.T, f func(t *testing.T, db *sqlx.DB, store *users.Store, tn *tenants.Tenant)) {
	for _, batched := range []bool{false, true} {
		name := "statement a round trip"
		if batched {
			name = "one round trip"
		}
		t.Run(name, func(t *testing.T) {
			db, dsn, store, tn := setupDSN(t)
			if batched {
				store = users.NewStore(db, users.WithBatches(batchesPool(t, dsn)))
			}
			f(t, db, store, tn)
		})
	}
}

// secondApp gives tn a second app (a row only: these tests never reach
// WeChat) and returns its id.
func secondApp(t *testing.T, db *sqlx.DB, tn *tenants.Tenant) int64 {
	t.Helper()
	res, err := db.Exec(`INSERT INTO apps (tenant_id, appid, secret_sealed, secret_key_id) VALUES (?, 'wxsecond0001', x'00', 'k')`, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// raceLogins runs n logins of enter at once; each must work and give the
// same user. It returns how many said they created it.
func raceLogins(t *testing.T, n int, enter func() (*users.User, bool, error)) (made int) {
	t.Helper()
	var wg sync.WaitGroup
	ids := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u, c, err := enter()
			if err == nil {
				ids[i], created[i] = u.PublicID, c
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("login %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("login %d got user %s, login 0 got %s", i, ids[i], ids[0])
		}
		if created[i] {
			made++
		}
	}
	return made
}

func TestConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	eachStore(t, func(t *testing.T, db *sqlx.DB, store *users.Store, tn *tenants.Tenant) {
		login := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oNEWUSER000000000000000000001"}
		made := raceLogins(t, 20, func() (*users.User, bool, error) {
			return store.FindOrRegister(context.Background(), login, nil)
		})
		if made != 1 {
			t.Fatalf("%d logins say they created the user, want 1", made)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM users WHERE tenant_id = ?", tn.ID); got != 1 {
			t.Fatalf("%d users in MySQL, want 1", got)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM identities WHERE tenant_id = ?", tn.ID); got != 1 {
			t.Fatalf("%d identities in MySQL, want 1", got)
		}
	})
}

func TestFindOrRegister(t *testing.T) {
	eachStore(t, func(t *testing.T, db *sqlx.DB, store *users.Store, tn *tenants.Tenant) {
		ctx := context.Background()
		app := tn.Apps[0].ID

		u1, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oA"}, nil)
		if err != nil || !created {
			t.Fatalf("first login: created=%v err=%v", created, err)
		}
		if len(u1.PublicID) != 28 || u1.PublicID[:2] != "u_" || u1.LastLoginAt == nil {
			t.Fatalf("user = %+v", u1)
		}
		again, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oA", UnionID: "uUNION"}, nil)
		if err != nil || created || again.ID != u1.ID {
			t.Fatalf("returning login: %+v created=%v err=%v", again, created, err)
		}
		if again.UnionID == nil || *again.UnionID != "uUNION" {
			t.Fatal("unionid sent later was not stored")
		}
		if got := count(t, db, "SELECT COUNT(*) FROM identities WHERE unionid = 'uUNION'"); got != 1 {
			t.Fatalf("identity unionid rows = %d", got)
		}
		u2, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oB"}, nil)
		if err != nil || !created || u2.PublicID == u1.PublicID {
			t.Fatalf("second person: %+v created=%v err=%v", u2, created, err)
		}

		nick := "阿狸"
		got, err := store.UpdateProfile(ctx, tn.ID, u1.ID, users.Profile{Nickname: &nick})
		if err != nil || got.Nickname != nick {
			t.Fatalf("UpdateProfile = %+v, %v", got, err)
		}
		bad := "javascript:alert(1)"
		if _, err := store.UpdateProfile(ctx, tn.ID, u1.ID, users.Profile{AvatarURL: &bad}); err == nil {
			t.Fatal("a javascript: avatar URL was accepted")
		}
		if _, err := store.ByID(ctx, tn.ID+1, u1.ID); err != users.ErrNotFound {
			t.Fatalf("user visible from another tenant: %v", err)
		}
	})
}

func TestFailedLoginWritesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, db *sqlx.DB, store *users.Store, tn *tenants.Tenant) {
		ctx := context.Background()
		boom := errors.New("redis is down")
		login := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oFAIL", UnionID: "uFAIL"}
		_, _, err := store.FindOrRegister(ctx, login, func(*users.User, bool) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("FindOrRegister = %v, want the callback's error", err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM users") + count(t, db, "SELECT COUNT(*) FROM identities"); n != 0 {
			t.Fatalf("%d rows left behind by a failed first login", n)
		}
		u, _, err := store.FindOrRegister(ctx, login, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := count(t, db, "SELECT COUNT(*) FROM users WHERE last_login_at = ?", u.LastLoginAt)
		if _, _, err := store.FindOrRegister(ctx, login, func(*users.User, bool) error { return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if after := count(t, db, "SELECT COUNT(*) FROM users WHERE last_login_at = ?", u.LastLoginAt); after != before || before != 1 {
			t.Fatal("a failed returning login still moved last_login_at")
		}
	})
}

func TestUnionIDJoinsAppsOfOneTenant(t *testing.T) {
	eachStore(t, func(t *testing.T, db *sqlx.DB, store *users.Store, tn *tenants.Tenant) {
		ctx := context.Background()
		app2 := secondApp(t, db, tn)
		a, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oApp1", UnionID: "uSAME"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app2, OpenID: "oApp2", UnionID: "uSAME"}, nil)
		if err != nil || created || b.ID != a.ID {
			t.Fatalf("second app's login: user %d created=%v err=%v, want user %d", b.ID, created, err, a.ID)
		}
		// An identity that learns a unionid held by someone else keeps working,
		// and is merged into the older user (merge.go; tested in merge_test.go).
		if _, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOther"}, nil); err != nil {
			t.Fatal(err)
		}
		got, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOther", UnionID: "uSAME"}, nil)
		if err != nil || got.ID != a.ID {
			t.Fatalf("login with a unionid held by an older user: %v, want the older user", err)
		}
	})
}

// TestNewUserInOneRoundTrip: with WithBatches, a new user's transaction is
// opened and its two rows written over the batches pool, in one query; a
// callback that fails rolls that back, and the connection goes back to the
// pool outside any transaction (the next START TRANSACTION would otherwise
// commit what was left open).
func TestNewUserInOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, dsn, _, tn := setupDSN(t)
	batches := batchesPool(t, dsn)
	store := users.NewStore(db, users.WithBatches(batches))
	app := tn.Apps[0].ID
	boom := errors.New("redis is down")

	failed := users.Login{TenantID: tn.ID, AppID: app, OpenID: "oROLLEDBACK"}
	if _, _, err := store.FindOrRegister(ctx, failed, func(*users.User, bool) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("FindOrRegister = %v, want the callback's error", err)
	}
	var seen *users.User
	u, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oONETRIP", UnionID: "uONETRIP"},
		func(u *users.User, created bool) error {
			if !created || u.ID == 0 {
				return fmt.Errorf("callback got user %d created=%v, want the new user's id", u.ID, created)
			}
			seen = u
			return nil
		})
	if err != nil || !created || seen == nil || seen.ID != u.ID {
		t.Fatalf("FindOrRegister = %+v created=%v err=%v", u, created, err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM identities WHERE openid = 'oROLLEDBACK'") + count(t, db,
		"SELECT COUNT(*) FROM users WHERE tenant_id = ?", tn.ID); n != 1 {
		t.Fatalf("%d rows, want the one user of the login that worked (the failed one's rolled back)", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM identities i JOIN users u ON u.id = i.user_id
		WHERE i.openid = 'oONETRIP' AND i.unionid = 'uONETRIP' AND u.id = ? AND u.public_id = ? AND u.unionid = 'uONETRIP'`, u.ID, u.PublicID); n != 1 {
		t.Fatal("the identity is not bound to the user it was written with")
	}
	got, err := store.ByID(ctx, tn.ID, u.ID)
	if err != nil || got.PublicID != u.PublicID || !got.CreatedAt.Equal(u.CreatedAt) || got.LastLoginAt == nil || !got.LastLoginAt.Equal(*u.LastLoginAt) {
		t.Fatalf("user in MySQL %+v, %v; the login returned %+v", got, err, u)
	}
	// Both attempts went over the batches pool's one connection: two
	// transactions, four INSERTs, one commit and one rollback.
	status := map[string]int{}
	rows, err := batches.Queryx(`SHOW SESSION STATUS WHERE Variable_name IN ('Com_begin', 'Com_insert', 'Com_commit', 'Com_rollback')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var v int
		if err := rows.Scan(&name, &v); err != nil {
			t.Fatal(err)
		}
		status[name] = v
	}
	rows.Close()
	if want := map[string]int{"Com_begin": 2, "Com_insert": 4, "Com_commit": 1, "Com_rollback": 1}; !maps.Equal(status, want) {
		t.Fatalf("the batches connection's counts %v, want %v", status, want)
	}
	// A returning login, and an identity whose unionid names a user, take
	// the statement-a-round-trip path as before.
	again, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app, OpenID: "oONETRIP"}, nil)
	if err != nil || created || again.ID != u.ID {
		t.Fatalf("returning login: %+v created=%v err=%v", again, created, err)
	}
	joined, created, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: secondApp(t, db, tn), OpenID: "oOTHERAPP", UnionID: "uONETRIP"}, nil)
	if err != nil || created || joined.ID != u.ID {
		t.Fatalf("another app's identity with the user's unionid: %+v created=%v err=%v, want user %d", joined, created, err, u.ID)
	}
}

// TestNewUserMySQLLostBeforeCommit: MySQL goes away while a new user's
// transaction waits for its session; the login fails, MySQL keeps neither
// row, and the batches pool serves the next login once MySQL is back.
func TestNewUserMySQLLostBeforeCommit(t *testing.T) {
	ctx := context.Background()
	db, dsn, _, tn := setupDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := tenantstest.NewProxy(t, cfg.Addr)
	cfg.Addr = proxy.Addr()
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	store := users.NewStore(db, users.WithBatches(batchesPool(t, cfg.FormatDSN())))
	login := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oLOSTCOMMIT"}
	_, _, err = store.FindOrRegister(ctx, login, func(*users.User, bool) error {
		proxy.Down() // the session is written; the commit will not reach MySQL
		return nil
	})
	if err == nil {
		t.Fatal("a login whose commit never reached MySQL worked")
	}
	if n := count(t, db, "SELECT COUNT(*) FROM users WHERE tenant_id = ?", tn.ID) + count(t, db,
		"SELECT COUNT(*) FROM identities WHERE tenant_id = ?", tn.ID); n != 0 {
		t.Fatalf("%d rows left by a transaction that never committed", n)
	}
	proxy.Up(t)
	u, created, err := store.FindOrRegister(ctx, login, nil)
	if err != nil || !created {
		t.Fatalf("login after MySQL came back: created=%v err=%v", created, err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM identities WHERE user_id = ? AND openid = 'oLOSTCOMMIT'", u.ID); n != 1 {
		t.Fatalf("%d identities for the user made after MySQL came back, want 1", n)
	}
}

// TestLookupsPrepared: a login's identity lookup, and the read of a user a
// node does not hold yet, run as prepared statements, prepared once per
// connection; after the connection is lost, the next login prepares its
// lookup again on a new one.
func TestLookupsPrepared(t *testing.T) {
	ctx := context.Background()
	root, dsn, _, tn := setupDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := tenantstest.NewProxy(t, cfg.Addr)
	cfg.Addr = proxy.Addr()
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	cfg.InterpolateParams = true // as miniauth serve sends every other query
	db := sqlx.MustOpen("mysql", cfg.FormatDSN())
	db.SetMaxOpenConns(1) // one connection: its own counts are the store's
	db.SetMaxIdleConns(1)
	t.Cleanup(func() { db.Close() })
	rdb, prefix := tenantstest.Redis(t)
	store := users.NewStore(db, users.WithCache(tenantstest.Bus(t, rdb, prefix), users.CacheConfig{TTL: time.Hour}))
	t.Cleanup(func() { store.Close(ctx) })
	counts := func() (prepares, executes int) {
		t.Helper()
		var name string
		if err := db.QueryRow(`SHOW SESSION STATUS LIKE 'Com_stmt_prepare'`).Scan(&name, &prepares); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SHOW SESSION STATUS LIKE 'Com_stmt_execute'`).Scan(&name, &executes); err != nil {
			t.Fatal(err)
		}
		return prepares, executes
	}
	login := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oPREPARED"}
	first, _, err := store.FindOrRegister(ctx, login, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if u, created, err := store.FindOrRegister(ctx, login, nil); err != nil || created || u.ID != first.ID || u.PublicID != first.PublicID {
			t.Fatalf("returning login %d: %+v created=%v err=%v, want user %d", i, u, created, err, first.ID)
		}
	}
	// A returning login within the millisecond of the last one looks again
	// (its touch changed no row), so at least one execution a login.
	if p, e := counts(); p != 1 || e < 4 {
		t.Fatalf("the connection prepared %d statements and executed %d, want 1 and at least 4 (a lookup a login)", p, e)
	}
	proxy.Down()
	proxy.Up(t)
	u, created, err := store.FindOrRegister(ctx, login, nil)
	if err != nil || created || u.ID != first.ID {
		t.Fatalf("login after the connection was lost: %+v created=%v err=%v", u, created, err)
	}
	if p, e := counts(); p != 1 || e < 1 {
		t.Fatalf("the new connection prepared %d statements and executed %d, want 1 and at least 1", p, e)
	}
	if n := count(t, root, "SELECT COUNT(*) FROM users WHERE tenant_id = ?", tn.ID); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	// A user's first request on a node reads them with their revoked
	// sessions and identities: prepared too, then served from memory.
	_, e0 := counts()
	for i := 0; i < 3; i++ {
		if got, revoked, err := store.ForSession(ctx, tn.ID, first.ID, "sess-1"); err != nil || revoked || got.PublicID != first.PublicID {
			t.Fatalf("ForSession: %+v revoked=%v err=%v", got, revoked, err)
		}
	}
	if p, e := counts(); p != 2 || e != e0+1 {
		t.Fatalf("after a user's requests the connection prepared %d statements and executed %d more, want 2 and 1 (the first request; the others from memory)", p, e-e0)
	}
}
