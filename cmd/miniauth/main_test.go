package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"miniauth/migrations"
	"miniauth/tenants/tenantstest"
)

// emptyDatabase makes a database with no schema and points the CLI at it.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	cfg, _ := mysql.ParseDSN(tenantstest.MySQLDSN())
	cfg.DBName = ""
	admin, err := openMySQL(context.Background(), cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := tenantstest.Name("macli_")
	admin.MustExec("CREATE DATABASE " + name)
	t.Cleanup(func() {
		if a, err := openMySQL(context.Background(), cfg.FormatDSN()); err == nil {
			a.MustExec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	cfg.DBName = name
	t.Setenv("MINIAUTH_MYSQL_DSN", cfg.FormatDSN())
	t.Setenv("MINIAUTH_REDIS_URL", tenantstest.RedisURL())
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv("MINIAUTH_MASTER_KEY", base64.StdEncoding.EncodeToString(key))
	return cfg.FormatDSN()
}

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestServeRefusesStaleSchema(t *testing.T) {
	emptyDatabase(t)
	t.Setenv("MINIAUTH_ADDR", "127.0.0.1:0")
	_, err := runCLI(t, "", "serve")
	if !errors.Is(err, migrations.ErrStale) {
		t.Fatalf("serve on an empty database = %v, want ErrStale", err)
	}
}

func TestMigrateTenantAdmin(t *testing.T) {
	emptyDatabase(t)
	for i := 0; i < 2; i++ { // migrate twice: the second is a no-op
		if out, err := runCLI(t, "", "migrate"); err != nil || !strings.Contains(out, "schema at version") {
			t.Fatalf("migrate #%d: %q %v", i+1, out, err)
		}
	}
	secret := "cli-app-secret-0123456789"
	out, err := runCLI(t, secret+"\n", "tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Slug string
		Apps []struct{ AppID string }
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Slug != "demo" || created.Apps[0].AppID != "wx0123456789abcdef" {
		t.Fatalf("tenant create printed %q (%v)", out, err)
	}
	if strings.Contains(out, secret) {
		t.Fatal("tenant create printed the AppSecret")
	}
	if _, err := runCLI(t, secret+"\n", "tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef"); err == nil {
		t.Fatal("a second create of the same slug succeeded")
	}
	if _, err := runCLI(t, "", "tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef", "--if-not-exists"); err != nil {
		t.Fatalf("--if-not-exists on an existing tenant: %v", err)
	}
	if _, err := runCLI(t, "", "tenant", "create", "--slug", "other", "--name", "Other", "--appid", "wxabcdef0123456789"); err == nil {
		t.Fatal("tenant create without a secret on stdin succeeded")
	}
	out, err = runCLI(t, "", "tenant", "list")
	if err != nil || strings.Count(out, `"slug"`) != 1 {
		t.Fatalf("tenant list = %q %v", out, err)
	}

	if _, err := runCLI(t, "correct horse battery staple\n", "admin", "create", "--email", "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "correct horse battery staple\n", "admin", "create", "--email", "boss@example.com", "--role", "tenant", "--tenant", "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "short\n", "admin", "create", "--email", "weak@example.com"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := runCLI(t, "correct horse battery staple\n", "admin", "create", "--email", "x@example.com", "--role", "tenant", "--tenant", "nope"); err == nil {
		t.Fatal("a tenant admin of an unknown tenant was created")
	}
}

func TestUsageAndVersion(t *testing.T) {
	if _, err := runCLI(t, ""); !errors.Is(err, errUsage) {
		t.Fatalf("no command = %v", err)
	}
	if _, err := runCLI(t, "", "frobnicate"); !errors.Is(err, errUsage) {
		t.Fatalf("unknown command = %v", err)
	}
	if out, err := runCLI(t, "", "version"); err != nil || !strings.HasPrefix(out, "miniauth ") {
		t.Fatalf("version = %q %v", out, err)
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	t.Setenv("MINIAUTH_MYSQL_DSN", "app:hunter2@tcp(db:3306)/miniauth")
	t.Setenv("MINIAUTH_REDIS_URL", "redis://:redispass@cache:6379/0")
	t.Setenv("MINIAUTH_MASTER_KEY", "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=")
	cfg, err := loadConfig("serve")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.String()
	for _, secret := range []string{"hunter2", "redispass", "c2VjcmV0"} {
		if strings.Contains(s, secret) {
			t.Fatalf("config string shows a secret: %s", s)
		}
	}
	t.Setenv("MINIAUTH_AUTO_MIGRATE", "perhaps")
	if _, err := loadConfig("migrate"); err == nil {
		t.Fatal("a bad MINIAUTH_AUTO_MIGRATE was accepted")
	}
}

func TestIfNotExistsChecksTheMasterKey(t *testing.T) {
	emptyDatabase(t)
	if _, err := runCLI(t, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	args := []string{"tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef", "--if-not-exists"}
	if _, err := runCLI(t, "demo-app-secret-0123456789\n", args...); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv("MINIAUTH_MASTER_KEY", base64.StdEncoding.EncodeToString(key))
	_, err := runCLI(t, "demo-app-secret-0123456789\n", args...)
	if !errors.Is(err, errOtherMasterKey) { // exit status 3, on which scripts/run.sh names make reset-dev
		t.Fatalf("--if-not-exists under another master key = %v, want a clear refusal", err)
	}
}

// TestAdminCreateNormalisesEmail: `admin create` stores the one spelling
// the console signs in with (admins.NormalizeEmail), finds the admin again
// by any spelling of it, and refuses what is no address.
func TestAdminCreateNormalisesEmail(t *testing.T) {
	emptyDatabase(t)
	if _, err := runCLI(t, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple\n"
	var first struct {
		ID    int64
		Email string
	}
	for i, email := range []string{" Boss\u200b@Example.COM", "ＢＯＳＳ@example.com\u2060"} {
		args := []string{"admin", "create", "--email", email}
		if i > 0 {
			args = append(args, "--if-not-exists")
		}
		out, err := runCLI(t, password, args...)
		if err != nil {
			t.Fatalf("admin create --email %q: %v", email, err)
		}
		var got struct {
			ID    int64
			Email string
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.Email != "boss@example.com" {
			t.Fatalf("admin create --email %q printed %q (%v)", email, out, err)
		}
		if i == 0 {
			first = got
		} else if got.ID != first.ID {
			t.Fatalf("--if-not-exists with another spelling made admin %d, want %d", got.ID, first.ID)
		}
	}
	if _, err := runCLI(t, password, "admin", "create", "--email", "BOSS@example.com"); err == nil {
		t.Fatal("a second admin with another spelling of the email was created")
	}
	if _, err := runCLI(t, password, "admin", "create", "--email", "Boss <boss@example.com>"); err == nil {
		t.Fatal("a display-name address was accepted")
	}
}

func TestConfigPasswordChecks(t *testing.T) {
	t.Setenv("MINIAUTH_ADMIN_PASSWORD_CHECKS", "3")
	if cfg, err := loadConfig("migrate"); err != nil || cfg.PasswordChecks != 3 {
		t.Fatalf("PasswordChecks = %d, %v; want 3", cfg.PasswordChecks, err)
	}
	t.Setenv("MINIAUTH_ADMIN_PASSWORD_CHECKS", "-1")
	if _, err := loadConfig("migrate"); err == nil {
		t.Fatal("a negative MINIAUTH_ADMIN_PASSWORD_CHECKS was accepted")
	}
}

// WeChat allows 20 forced access-token refreshes a day: a budget beyond
// that would only earn 45009.
func TestConfigForceRefreshBudget(t *testing.T) {
	t.Setenv("MINIAUTH_MASTER_KEY", "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE=")
	for value, ok := range map[string]bool{"": true, "5": true, "20": true, "21": false, "0": false, "many": false} {
		t.Setenv("MINIAUTH_WECHAT_FORCE_REFRESHES", value)
		cfg, err := loadConfig("serve")
		if (err == nil) != ok {
			t.Errorf("MINIAUTH_WECHAT_FORCE_REFRESHES=%q: err %v", value, err)
		}
		if value == "" && cfg.ForceRefreshes != 20 {
			t.Errorf("default budget %d, want 20", cfg.ForceRefreshes)
		}
	}
}

// TestTenantApps: `tenant add-app` adds official accounts and the Open
// Platform kinds (mobile app, website: wechat-open-api.md §1.1, §2) with
// their AppSecret from stdin, never printed; --if-not-exists makes a second
// run a no-op; `rotate-secret` and `remove-app` change them. Every change
// is announced to the running servers, which keep tenants in memory.
func TestTenantApps(t *testing.T) {
	emptyDatabase(t)
	if _, err := runCLI(t, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "demo-app-secret-0123456789\n", "tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	heard := tenantAnnouncements(t, "demo")
	type printed struct {
		Apps []struct {
			AppID, Kind string
			IsDefault   bool `json:"is_default"`
		}
	}
	kinds := func(out string) map[string]string {
		t.Helper()
		var p printed
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("printed %q: %v", out, err)
		}
		m := map[string]string{}
		for _, a := range p.Apps {
			m[a.AppID] = a.Kind
		}
		return m
	}
	const mobileSecret, webSecret = "mobile-app-secret-0123456789", "website-app-secret-0123456789"
	for _, a := range []struct{ kind, appid, secret string }{
		{"mobileapp", "wxapp0123456789ab", mobileSecret},
		{"website", "wxweb0123456789ab", webSecret},
		{"officialaccount", "wxoa00123456789ab", "official-account-secret-0123"},
	} {
		args := []string{"tenant", "add-app", "--slug", "demo", "--kind", a.kind, "--appid", a.appid, "--if-not-exists"}
		for run := 0; run < 2; run++ {
			out, err := runCLI(t, a.secret+"\n", args...)
			if err != nil || kinds(out)[a.appid] != a.kind || strings.Contains(out, a.secret) {
				t.Fatalf("add-app %s (run %d): %q %v", a.kind, run+1, out, err)
			}
			if run == 0 {
				heard("add-app " + a.kind)
			}
		}
	}
	refused := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"unknown kind", mobileSecret + "\n", []string{"add-app", "--slug", "demo", "--kind", "miniprogram", "--appid", "wxapp0000000000ab"}},
		{"appid taken", mobileSecret + "\n", []string{"add-app", "--slug", "demo", "--kind", "website", "--appid", "wxapp0123456789ab"}},
		{"another kind with --if-not-exists", "", []string{"add-app", "--slug", "demo", "--kind", "website", "--appid", "wxapp0123456789ab", "--if-not-exists"}},
		{"no secret", "", []string{"add-app", "--slug", "demo", "--kind", "website", "--appid", "wxweb0000000000ab"}},
		{"unknown tenant", webSecret + "\n", []string{"add-app", "--slug", "nope", "--kind", "website", "--appid", "wxweb0000000000ab"}},
		{"remove the default mini-program", "", []string{"remove-app", "--slug", "demo", "--appid", "wx0123456789abcdef"}},
		{"rotate an unknown app", webSecret + "\n", []string{"rotate-secret", "--slug", "demo", "--appid", "wxnope00000000"}},
	}
	for _, r := range refused {
		if out, err := runCLI(t, r.stdin, append([]string{"tenant"}, r.args...)...); err == nil {
			t.Errorf("%s: accepted, printed %q", r.name, out)
		}
	}
	if _, err := runCLI(t, "rotated-website-secret-0123\n", "tenant", "rotate-secret", "--slug", "demo", "--appid", "wxweb0123456789ab"); err != nil {
		t.Fatal(err)
	}
	heard("rotate-secret")
	out, err := runCLI(t, "", "tenant", "remove-app", "--slug", "demo", "--appid", "wxweb0123456789ab")
	if err != nil || kinds(out)["wxweb0123456789ab"] != "" || kinds(out)["wxapp0123456789ab"] != "mobileapp" {
		t.Fatalf("remove-app: %q %v", out, err)
	}
	heard("remove-app")
}

// tenantAnnouncements listens, from now on, to what the commands announce
// to the running servers' caches (tenants/memo), under a Redis prefix of
// the test's own; heard fails the test unless a change of the tenant slug
// was announced within seconds.
func tenantAnnouncements(t *testing.T, slug string) (heard func(what string)) {
	t.Helper()
	prefix := tenantstest.Name("macli_")
	t.Setenv("MINIAUTH_REDIS_PREFIX", prefix)
	opt, err := redis.ParseURL(tenantstest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	sub := rdb.Subscribe(ctx, prefix+":memo:changed")
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(ctx); err != nil { // the subscription stands
		t.Fatal(err)
	}
	msgs := sub.Channel()
	return func(what string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case m := <-msgs:
				if m.Payload == "tenants "+slug {
					return
				}
			case <-timeout:
				t.Fatalf("%s: no announcement that tenant %q changed", what, slug)
			}
		}
	}
}
