package sms_test

import (
	"errors"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/sms"
	"miniauth/tenants/users"
)

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"+8613800138000", "+8613800138000"},
		{"13800138000", "+8613800138000"},
		{"+86 138-0013-8000", "+8613800138000"},
		{"0086 13800138000", "+8613800138000"},
		{"＋８６１３８００１３８０００", "+8613800138000"}, // full-width, as some IMEs type
		{"+85291234567", "+85291234567"},
		{"+1 (415) 555-0100", "+14155550100"},
		{"+8612800138000", ""},  // +86 but not a mobile (12…)
		{"+86138001380001", ""}, // 12 digits
		{"+860138001380", ""},
		{"138001380", ""},
		{"+0123456789", ""},
		{"+12345", ""},
		{"+1234567890123456", ""},
		{"+86138abc38000", ""},
		{"", ""},
	}
	for _, c := range cases {
		got, err := sms.NormalizePhone(c.in)
		if c.want == "" {
			if !errors.Is(err, sms.ErrInvalidPhone) || !errors.Is(err, tenants.ErrInvalid) {
				t.Errorf("%q: got %q, %v; want ErrInvalidPhone", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
		// The same account: users stores the form this returns.
		if u, err := users.NormalizePhone(got); err != nil || u != got {
			t.Errorf("%q: users.NormalizePhone gives %q, %v", got, u, err)
		}
	}
}

func TestAllowed(t *testing.T) {
	if !sms.Allowed("+8613800138000", []string{"+86"}) || sms.Allowed("+85291234567", []string{"+86"}) ||
		!sms.Allowed("+85291234567", []string{"+86", "+852"}) || sms.Allowed("+8613800138000", nil) {
		t.Fatal("Allowed")
	}
}
