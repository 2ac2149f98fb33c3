package main

import (
	"testing"
	"time"
)

func TestUsageRollupEveryConfig(t *testing.T) {
	for _, tc := range []struct {
		env  *string
		want time.Duration // 0: refused
	}{
		{nil, 5 * time.Minute},
		{ptr("30s"), 30 * time.Second},
		{ptr("1h"), time.Hour},
		{ptr("9s"), 0},
		{ptr("2h"), 0},
		{ptr("-5m"), 0},
		{ptr("often"), 0},
	} {
		name := "unset"
		if tc.env != nil {
			name = *tc.env
		}
		t.Run(name, func(t *testing.T) {
			if tc.env == nil {
				unsetenv(t, "MINIAUTH_USAGE_ROLLUP_EVERY")
			} else {
				t.Setenv("MINIAUTH_USAGE_ROLLUP_EVERY", *tc.env)
			}
			cfg, err := loadConfig("migrate")
			switch {
			case tc.want == 0 && err == nil:
				t.Fatalf("MINIAUTH_USAGE_ROLLUP_EVERY=%s accepted as %s", name, cfg.UsageRollupEvery)
			case tc.want != 0 && (err != nil || cfg.UsageRollupEvery != tc.want):
				t.Fatalf("MINIAUTH_USAGE_ROLLUP_EVERY=%s: %s (%v), want %s", name, cfg.UsageRollupEvery, err, tc.want)
			}
		})
	}
}
