package wechattest

import (
	"testing"
	"time"
)

func TestExpiredCodesAreSwept(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }, UserPerMinute: 5})
	s.AddApp("wxa", "sa", "")
	for range 3 {
		if _, err := s.IssueCode("wxa", "u"); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	s.allowLocked("u", now)
	s.mu.Unlock()

	now = now.Add(5*time.Minute + sweepEvery)
	if _, err := s.IssueCode("wxa", "u"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.codes) != 1 || len(s.users) != 0 {
		t.Errorf("after expiry: %d codes, %d rate windows; want 1 and 0", len(s.codes), len(s.users))
	}
}
