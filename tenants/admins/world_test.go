package admins_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"miniauth/tenants/admins"
	"miniauth/tenants/tenantstest"
)

// clock is a settable clock for TOTP steps, MFA tokens and invites.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is one test's admins domain on its own database and Redis prefix.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *sqlx.DB
	rdb      redis.UniversalClient
	prefix   string
	clock    *clock
	store    *admins.Store
	lockout  *admins.Lockout
	console  *admins.Console
	mfa      *admins.MFA
	signIn   *admins.SignIn
	accounts *admins.Accounts
	settings *admins.Settings
	tenantID int64
}

// testPolicy locks an account at its 4th failure, with no waits before:
// the test never sleeps.
var testPolicy = admins.LockoutPolicy{Window: time.Hour, AccountSlow: 4, AccountLock: 4,
	IPSlow: 1000, IPLock: 1000, LockFor: time.Hour, MaxSlow: time.Minute}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, _ := tenantstest.DB(t)
	rdb, prefix := tenantstest.Redis(t)
	// A step boundary, so that +29 s stays in the step.
	c := &clock{t: time.Unix(1_900_000_020, 0).UTC()}
	w := &world{t: t, ctx: context.Background(), db: db, rdb: rdb, prefix: prefix, clock: c,
		store:   admins.NewStore(db),
		lockout: admins.NewLockout(rdb, prefix, testPolicy),
		console: admins.NewConsole(rdb, prefix, 0, 0), settings: admins.NewSettings(db)}
	w.mfa = admins.NewMFA(db, admins.MFAConfig{Keys: tenantstest.Keyring(t), Lockout: w.lockout, Issuer: "miniauth test", Now: c.Now})
	w.signIn = admins.NewSignIn(admins.SignInConfig{Admins: w.store, MFA: w.mfa, Lockout: w.lockout,
		Redis: rdb, Prefix: prefix, Now: c.Now})
	w.accounts = admins.NewAccounts(w.store, admins.AccountsConfig{Console: w.console, Lockout: w.lockout, MFA: w.mfa, Now: c.Now})
	res := db.MustExec(`INSERT INTO tenants (slug, name, settings) VALUES ('acme', 'Acme', '{}')`)
	w.tenantID, _ = res.LastInsertId()
	return w
}

const password = "correct horse battery"

var cheapHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	return h
})

// admin inserts an active admin whose password is `password`, hashed at
// bcrypt's lowest cost so that tests stay fast; tenantID 0 is a platform
// admin.
func (w *world) admin(email string, tenantID int64) *admins.Admin {
	w.t.Helper()
	role, tid := admins.RolePlatform, any(nil)
	if tenantID != 0 {
		role, tid = admins.RoleTenant, tenantID
	}
	res := w.db.MustExec(`INSERT INTO admins (email, password_hash, role, tenant_id) VALUES (?, ?, ?, ?)`,
		email, cheapHash(), role, tid)
	id, _ := res.LastInsertId()
	a, err := w.store.ByID(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) actor(a *admins.Admin) admins.Actor {
	return admins.Actor{Admin: a, IP: "192.0.2.10"}
}

// enrol turns MFA on for a and returns its TOTP secret and recovery codes.
func (w *world) enrol(a *admins.Admin) (secret string, codes []string) {
	w.t.Helper()
	e, err := w.mfa.BeginEnrol(w.ctx, w.actor(a))
	if err != nil {
		w.t.Fatal(err)
	}
	codes, err = w.mfa.ConfirmEnrol(w.ctx, w.actor(a), w.code(e.Secret, 0))
	if err != nil {
		w.t.Fatal(err)
	}
	return e.Secret, codes
}

// code is the TOTP code of secret steps time steps from the clock's now.
func (w *world) code(secret string, steps int) string {
	w.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, w.clock.Now().Add(time.Duration(steps)*30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// audited counts the audit entries of action about target.
func (w *world) audited(action, target string) int {
	w.t.Helper()
	var n int
	if err := w.db.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND target_id = ?`, action, target); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// is fails unless err is want, and checks that err says none of secrets.
func is(t *testing.T, what string, err, want error, secrets ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
	noSecret(t, what, err, secrets...)
}

// noSecret fails if err's text holds any of secrets (or their canonical
// spellings, for recovery codes).
func noSecret(t *testing.T, what string, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := strings.ToLower(err.Error())
	for _, s := range secrets {
		for _, form := range []string{s, strings.ReplaceAll(s, "-", "")} {
			if form != "" && strings.Contains(msg, strings.ToLower(form)) {
				t.Fatalf("%s: the error %q holds a secret", what, err)
			}
		}
	}
}
