package admins

import (
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"miniauth/tenants"
)

// MaxEmailLen is the longest address accepted, in bytes (RFC 5321's path
// limit); the admins.email and audit id columns hold this many characters.
const MaxEmailLen = 254

// errBadEmail is what every malformed address gets.
var errBadEmail = tenants.Invalid("email is not a valid address")

// NormalizeEmail returns the one spelling of an admin's email that is
// counted, looked up and stored: format characters (zero-width spaces,
// bidi controls, soft hyphens) dropped, NFKC, lower case, trimmed. The
// column compares it byte for byte, so two spellings reach the same admin
// exactly when they normalise alike. An address of any other shape (no
// or several @, display names, quoted or oversized parts) is an
// InvalidError.
func NormalizeEmail(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	// NFKC may yield capitals (ℌ → H), lower casing may leave a string that
	// is no longer NFKC: normalise on both sides of it.
	s = strings.TrimSpace(norm.NFKC.String(strings.ToLower(norm.NFKC.String(s))))
	if !validEmail(s) {
		return "", errBadEmail
	}
	return s, nil
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > MaxEmailLen || len(local) > 64 || strings.Contains(domain, "@") || !validDomain(domain) {
		return false
	}
	// net/mail knows the local part's grammar; an address it reads back
	// differently (quotes, comments, a display name) is not one we store.
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}

// validDomain accepts dot-separated labels of letters, digits and inner
// hyphens (internationalised names in their Unicode form included), not
// address literals.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r) {
				return false
			}
		}
	}
	return true
}
