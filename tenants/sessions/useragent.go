package sessions

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDevice bounds a user-agent summary.
const maxDevice = 40

// summarizeUA turns a User-Agent header into the few words an admin needs
// to tell a user's sessions apart, as Auth0 and Supabase show them:
// "WeChat 8.0.50 iOS 17.5". Sessions keep the summary, not the header: a
// WeChat user agent is about 150 bytes, and one index value over Redis's
// hash-max-listpack-value (64 bytes) turns the user's whole session index
// from a listpack into a hash table, several times the memory.
//
// It is pure and idempotent (a summary summarizes to itself), so that
// entries written before summaries existed can be summarized when read.
func summarizeUA(ua string) string {
	ua = tidy(ua)
	var s string
	switch {
	case strings.Contains(ua, "wechatdevtools/"):
		// The devtools pose as an iPhone: their OS says nothing.
		s = "WeChat devtools " + versionAfter(ua, "wechatdevtools/", 3)
	case strings.Contains(ua, "MicroMessenger/"):
		s = "WeChat " + versionAfter(ua, "MicroMessenger/", 3) + " " + osOf(ua)
	default:
		s = ua
		for _, b := range browsers {
			if strings.Contains(ua, b.marker) {
				s = b.name + " " + versionAfter(ua, b.version, b.parts) + " " + osOf(ua)
				break
			}
		}
	}
	return strings.TrimSpace(clip(strings.Join(strings.Fields(s), " "), maxDevice))
}

// browsers are the few outside WeChat worth naming, in the order to look
// for them (Edge and Chrome also say Safari; Edge also says Chrome).
var browsers = []struct {
	marker, name, version string
	parts                 int
}{
	{"Edg/", "Edge", "Edg/", 1},
	{"Firefox/", "Firefox", "Firefox/", 1},
	{"Chrome/", "Chrome", "Chrome/", 1},
	{"Safari/", "Safari", "Version/", 2},
}

// osOf names the operating system of a user agent, "" when it does not
// say. Newer macOS and Windows report frozen versions, so none is shown.
func osOf(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone OS "):
		return "iOS " + versionAfter(ua, "iPhone OS ", 3)
	case strings.Contains(ua, "iPad") && strings.Contains(ua, "CPU OS "):
		return "iPadOS " + versionAfter(ua, "CPU OS ", 3)
	case strings.Contains(ua, "OpenHarmony "):
		return "HarmonyOS " + versionAfter(ua, "OpenHarmony ", 2)
	case strings.Contains(ua, "Android "):
		return "Android " + versionAfter(ua, "Android ", 2)
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Mac OS X"):
		return "macOS"
	case strings.Contains(ua, "Linux"):
		return "Linux"
	}
	return ""
}

// versionAfter returns the version that follows marker in s, at most parts
// numbers of it, dot-separated: "8.0.49.2600(0x28003133)" gives "8.0.49",
// and iOS's "17_5_1" gives "17.5.1".
func versionAfter(s, marker string, parts int) string {
	_, rest, ok := strings.Cut(s, marker)
	if !ok {
		return ""
	}
	v := make([]byte, 0, 16)
	for i := 0; i < len(rest) && len(v) < 16; i++ {
		switch c := rest[i]; {
		case c >= '0' && c <= '9':
			v = append(v, c)
		case (c == '.' || c == '_') && len(v) > 0 && v[len(v)-1] != '.':
			if parts--; parts == 0 {
				return string(v)
			}
			v = append(v, '.')
		default:
			return strings.TrimSuffix(string(v), ".")
		}
	}
	return strings.TrimSuffix(string(v), ".")
}

// tidy keeps the printable text of a header: bytes that are not UTF-8 go,
// control and other unprintable characters and "|" (the index's separator)
// become spaces.
func tidy(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return -1
		case r == '|' || !unicode.IsPrint(r):
			return ' '
		}
		return r
	}, s)
}
