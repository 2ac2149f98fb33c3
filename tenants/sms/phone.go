package sms

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"miniauth/tenants"
)

// ErrInvalidPhone is returned for a number that is not E.164, not a
// mainland mobile number under +86, or outside the tenant's prefixes. It
// is an *tenants.InvalidError, so it also matches tenants.ErrInvalid.
var ErrInvalidPhone = tenants.Invalid("phone must be +<country code><number>; under +86 an 11-digit mobile number")

// NormalizePhone returns a phone number in E.164 ("+8613800138000"), the
// form stored on users (users.NormalizePhone gives the same for every
// number this accepts). It takes full-width digits (NFKC), spaces, dashes,
// dots and brackets, the "00" international prefix, and a bare 11-digit
// mainland mobile number. Under +86 only mobile numbers pass (1[3-9] and 9
// more digits: codes are sent to mobiles); other prefixes need 7 to 15
// digits after the "+" and no leading 0.
func NormalizePhone(raw string) (string, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '\t':
			return -1
		}
		return r
	}, norm.NFKC.String(strings.TrimSpace(raw)))
	switch {
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case !strings.HasPrefix(s, "+") && len(s) == 11 && s[0] == '1':
		s = "+86" + s
	}
	if !strings.HasPrefix(s, "+") || len(s) < 8 || len(s) > 16 || s[1] == '0' {
		return "", ErrInvalidPhone
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return "", ErrInvalidPhone
		}
	}
	if national, ok := strings.CutPrefix(s, "+86"); ok {
		if len(national) != 11 || national[0] != '1' || national[1] < '3' {
			return "", ErrInvalidPhone
		}
	}
	return s, nil
}

// Allowed reports whether an E.164 phone starts with one of the prefixes
// ("+86", "+852", …). No prefixes allows nothing.
func Allowed(phone string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(phone, p) {
			return true
		}
	}
	return false
}
