package main

import (
	"fmt"
	"os"
	"testing"
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
