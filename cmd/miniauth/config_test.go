package main

import (
	"fmt"
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
			cfg, err := loadConfig()
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
