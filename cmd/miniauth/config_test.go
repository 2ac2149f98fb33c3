package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"

	"miniauth/tenants/users"
)

func TestTrustedProxiesConfig(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want string // the prefixes, or "error"
	}{
		{"", "[]"},
		{"127.0.0.1", "[127.0.0.1/32]"},
		{"10.0.0.0/8, 192.168.1.7/16 ,::1", "[10.0.0.0/8 192.168.0.0/16 ::1/128]"},
		{"::ffff:10.0.0.1", "[10.0.0.1/32]"},
		{"lb.internal", "error"},
		{"10.0.0.0/33", "error"},
		{"::ffff:10.0.0.0/104", "error"},
		{"fe80::1%eth0", "error"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("MINIAUTH_TRUSTED_PROXIES", tc.env)
			cfg, err := loadConfig("migrate")
			got := fmt.Sprint(cfg.TrustedProxies)
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Fatalf("MINIAUTH_TRUSTED_PROXIES=%q: %s (%v), want %s", tc.env, got, err, tc.want)
			}
		})
	}
}

func TestMetricsAddrConfig(t *testing.T) {
	for _, tc := range []struct {
		env  *string
		want string // the address, or "error"
	}{
		{nil, "127.0.0.1:9090"}, // loopback unless configured
		{ptr(""), ""},
		{ptr("off"), ""},
		{ptr("10.0.0.5:9100"), "10.0.0.5:9100"},
		{ptr(":9100"), ":9100"},
		{ptr("9100"), "error"},
	} {
		name := "unset"
		if tc.env != nil {
			name = *tc.env
		}
		t.Run(name, func(t *testing.T) {
			if tc.env == nil {
				unsetenv(t, "MINIAUTH_METRICS_ADDR")
			} else {
				t.Setenv("MINIAUTH_METRICS_ADDR", *tc.env)
			}
			cfg, err := loadConfig("migrate")
			got := cfg.MetricsAddr
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Fatalf("MINIAUTH_METRICS_ADDR=%s: %q (%v), want %q", name, got, err, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// unsetenv removes an environment variable for the test's duration.
func unsetenv(t *testing.T, name string) {
	t.Setenv(name, "") // restores the old value afterwards
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

// TestMySQLDSNs: the main pool takes one statement a query even when the
// operator's DSN asks for more; the batches pool, made from it, takes
// several, with arguments interpolated.
func TestMySQLDSNs(t *testing.T) {
	main, err := mysqlDSN("app:pw@tcp(db:3306)/miniauth?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(main)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MultiStatements || !cfg.InterpolateParams || !cfg.ParseTime {
		t.Fatalf("main DSN %q: multiStatements=%v interpolateParams=%v parseTime=%v, want false, true, true",
			main, cfg.MultiStatements, cfg.InterpolateParams, cfg.ParseTime)
	}
	b, err := users.BatchesDSN(main)
	if err != nil {
		t.Fatal(err)
	}
	bcfg, err := mysql.ParseDSN(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bcfg.MultiStatements || !bcfg.InterpolateParams || bcfg.Addr != cfg.Addr || bcfg.DBName != cfg.DBName || bcfg.ReadTimeout != cfg.ReadTimeout {
		t.Fatalf("batches DSN %q does not take several statements to the same database with the same timeouts", b)
	}
}
