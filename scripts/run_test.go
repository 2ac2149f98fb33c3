// Package scripts_test runs the shell scripts of make run for real: the
// seeding part of run.sh (MINIAUTH_RUN_SEED_ONLY=1), cli.sh and
// reset-dev.sh, against scratch databases on the test MariaDB and a
// scratch state directory, so nothing of a developer's own setup is used.
package scripts_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants/tenantstest"
)

// devSetup is one development database and the scripts' environment for it.
type devSetup struct {
	t       *testing.T
	db      string
	state   string // XDG_STATE_HOME
	legacy  string // where an older checkout's .miniauth/dev.env would be
	env     []string
	admin   *sqlx.DB
	envFile string
}

func newDevSetup(t *testing.T, admin *sqlx.DB, host, port, binDir string) *devSetup {
	t.Helper()
	home := t.TempDir()
	d := &devSetup{t: t, db: tenantstest.Name("marun_"), state: filepath.Join(home, "state"), admin: admin}
	d.legacy = filepath.Join(home, "old-checkout", ".miniauth", "dev.env")
	d.envFile = filepath.Join(d.state, "miniauth", host+"-"+port+"-"+d.db+".env")
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + d.db) })

	// A clean environment: none of the developer's MINIAUTH_* settings, and
	// the Go caches of the real HOME so that the build stays incremental.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIAUTH_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_") {
			d.env = append(d.env, kv)
		}
	}
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		out, err := exec.Command(goBin(t), "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		d.env = append(d.env, v+"="+strings.TrimSpace(string(out)))
	}
	d.env = append(d.env,
		"HOME="+home, "XDG_STATE_HOME="+d.state, "GO="+goBin(t),
		"MARIADB_HOST="+host, "MARIADB_PORT="+port, "MINIAUTH_DB="+d.db,
		"MINIAUTH_BIN_DIR="+binDir, "MINIAUTH_RUN_SEED_ONLY=1", "MINIAUTH_DEV_LEGACY_ENV="+d.legacy)
	return d
}

// run runs a script of this directory and returns its exit status and
// standard error.
func (d *devSetup) run(script string, args ...string) (int, string, string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
	cmd.Env = d.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	d.t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	return 0, "", ""
}

// mustRun runs a script that must succeed.
func (d *devSetup) mustRun(script string, args ...string) string {
	d.t.Helper()
	status, stdout, stderr := d.run(script, args...)
	if status != 0 {
		d.t.Fatalf("%s %v: exit %d\n%s", script, args, status, stderr)
	}
	return stdout
}

func (d *devSetup) exists(table string) bool {
	d.t.Helper()
	q := "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?"
	args := []any{d.db}
	if table != "" {
		q = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"
		args = append(args, table)
	}
	var n int
	if err := d.admin.Get(&n, q, args...); err != nil {
		d.t.Fatal(err)
	}
	return n > 0
}

func goBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if p := "/usr/local/go/bin/go"; fileExists(p) {
		return p
	}
	t.Fatal("go not found")
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestRunNeverDeadEnds: make run keeps a database's secrets outside the
// checkout; when they are lost it names make reset-dev, which drops only a
// database services.sh made, and the next run recovers.
func TestRunNeverDeadEnds(t *testing.T) {
	cfg, err := mysql.ParseDSN(tenantstest.MySQLDSN())
	if err != nil {
		t.Fatal(err)
	}
	host, port, ok := strings.Cut(cfg.Addr, ":")
	if !ok || cfg.Net != "tcp" {
		t.Fatalf("MINIAUTH_TEST_MYSQL_DSN must be tcp(host:port), got %s(%s)", cfg.Net, cfg.Addr)
	}
	cfg.DBName = ""
	admin, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		t.Fatalf("MySQL not reachable (run `make test`, which starts it): %v", err)
	}
	binDir := t.TempDir()

	t.Run("lost secrets", func(t *testing.T) {
		d := newDevSetup(t, admin, host, port, binDir)
		d.mustRun("run.sh")
		st, err := os.Stat(d.envFile)
		if err != nil {
			t.Fatalf("the secrets are not kept per database outside the checkout: %v", err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", d.envFile, st.Mode().Perm())
		}
		if !d.exists("miniauth_dev_mark") {
			t.Fatal("services.sh did not mark the database it created")
		}
		if out := d.mustRun("cli.sh", "tenant", "list"); !strings.Contains(out, `"demo"`) {
			t.Errorf("cli.sh tenant list = %s, want the demo tenant", out)
		}
		var openApps int
		if err := d.admin.Get(&openApps, "SELECT COUNT(*) FROM `"+d.db+"`.apps WHERE (appid, kind) IN "+
			"(('wxaa0123456789abcd', 'mobileapp'), ('wxbb0123456789abcd', 'website'))"); err != nil || openApps != 2 {
			t.Errorf("the demo tenant's mobile app and website: %d of 2 (%v)", openApps, err)
		}
		d.mustRun("run.sh") // again: reuses what exists

		if err := os.Remove(d.envFile); err != nil {
			t.Fatal(err)
		}
		status, _, stderr := d.run("run.sh")
		want := "make reset-dev MINIAUTH_DB=" + d.db
		if status != 3 || !strings.Contains(stderr, want) {
			t.Fatalf("run.sh after losing the secrets: exit %d, want 3 naming %q:\n%s", status, want, stderr)
		}
		d.mustRun("reset-dev.sh")
		if d.exists("") {
			t.Fatal("reset-dev.sh left the database")
		}
		d.mustRun("run.sh")
		if out := d.mustRun("cli.sh", "tenant", "list"); !strings.Contains(out, `"demo"`) {
			t.Errorf("after the reset, cli.sh tenant list = %s", out)
		}
	})

	t.Run("older checkout's dev.env is moved", func(t *testing.T) {
		d := newDevSetup(t, admin, host, port, binDir)
		d.mustRun("run.sh")
		secrets, err := os.ReadFile(d.envFile)
		if err != nil {
			t.Fatal(err)
		}
		// As an older checkout kept it: in the checkout, and nowhere else.
		if err := os.MkdirAll(filepath.Dir(d.legacy), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(d.envFile, d.legacy); err != nil {
			t.Fatal(err)
		}
		d.mustRun("run.sh")
		got, err := os.ReadFile(d.envFile)
		if err != nil || !bytes.Equal(got, secrets) {
			t.Fatalf("the old dev.env was not moved to %s: %v", d.envFile, err)
		}
		if fileExists(d.legacy) {
			t.Error("the old dev.env is still in the checkout")
		}
	})

	t.Run("a database services.sh did not make is never reset", func(t *testing.T) {
		d := newDevSetup(t, admin, host, port, binDir)
		if _, err := admin.Exec("CREATE DATABASE " + d.db + " CHARACTER SET utf8mb4"); err != nil {
			t.Fatal(err)
		}
		d.mustRun("run.sh")
		if err := os.Remove(d.envFile); err != nil {
			t.Fatal(err)
		}
		status, _, stderr := d.run("run.sh")
		if status != 3 || strings.Contains(stderr, "make reset-dev MINIAUTH_DB") || !strings.Contains(stderr, "MINIAUTH_DB="+d.db+"_dev make run") {
			t.Fatalf("run.sh on an unmarked database sealed by a lost key: exit %d, want 3 naming another database:\n%s", status, stderr)
		}
		if status, _, _ := d.run("reset-dev.sh"); status == 0 {
			t.Fatal("reset-dev.sh accepted a database without the mark")
		}
		if !d.exists("tenants") {
			t.Fatal("reset-dev.sh touched a database without the mark")
		}
	})
}
