package tenants_test

import (
	"testing"
	"time"

	"miniauth/tenants"
)

// Settings stored some other way than through Validate (an old row, a
// hand-edited one) are held to the bounds, never wrapped.
func TestSessionLifetimesNeverWrap(t *testing.T) {
	for _, tc := range []struct {
		seconds int
		want    time.Duration
	}{
		{0, 0}, // the default
		{-5, 0},
		{30, tenants.MinSessionLifetime},
		{3600, time.Hour},
		{18446744074, tenants.MaxSessionLifetime}, // would wrap to 0.29 s
		{9223372037, tenants.MaxSessionLifetime},  // would wrap negative
	} {
		s := tenants.Settings{SessionIdleSeconds: tc.seconds, SessionAbsoluteSeconds: tc.seconds}
		wantIdle, wantAbs := tc.want, tc.want
		if tc.want == 0 {
			wantIdle, wantAbs = tenants.DefaultSessionIdle, tenants.DefaultSessionAbsolute
		}
		if got := s.SessionIdle(); got != wantIdle {
			t.Errorf("idle of %d s = %v, want %v", tc.seconds, got, wantIdle)
		}
		if got := s.SessionAbsolute(); got != wantAbs {
			t.Errorf("absolute of %d s = %v, want %v", tc.seconds, got, wantAbs)
		}
		if err := s.Validate(); (err == nil) != (tc.seconds == 0 || tc.seconds == 3600) {
			t.Errorf("Validate of %d s: %v", tc.seconds, err)
		}
	}
}
