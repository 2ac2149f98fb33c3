package users

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"miniauth/tenants"
)

// Anonymous open data: what wx.getUserInfo and wx.getUserProfile answer
// since WeChat withdrew the real profile. It means "no profile", never a
// name or a picture of the user.
const (
	AnonymousNickname  = "微信用户"
	AnonymousAvatarURL = "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132"
)

// Anonymous reports whether a nickname or avatar URL is WeChat's
// placeholder for a user it no longer describes.
func Anonymous(nickname, avatarURL string) bool {
	return strings.TrimSpace(nickname) == AnonymousNickname || avatarURL == AnonymousAvatarURL
}

// ValidNickname checks a nickname wherever one is accepted: valid UTF-8,
// at most 64 characters, no control characters (NUL, escape, C1…), and no
// bidi overrides or isolates, which would make a nickname display as
// another one (or reorder the text around it in a console).
func ValidNickname(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64 {
		return tenants.Invalid("nickname must be at most 64 characters of valid UTF-8")
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return tenants.Invalid("nickname must not contain control characters")
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return tenants.Invalid("nickname must not contain bidi overrides or isolates")
		}
	}
	return nil
}
