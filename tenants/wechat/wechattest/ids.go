package wechattest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// OpenID returns user's openid in appid: 28 characters starting with "o",
// derived by hashing so that it is the same in every run of the fake.
func (s *Server) OpenID(appid, user string) string {
	return derive("openid", appid, user)
}

// UnionID returns user's unionid under an open platform account: the same
// for every app bound to that account.
func (s *Server) UnionID(openPlatformID, user string) string {
	return derive("unionid", openPlatformID, user)
}

func derive(kind, scope, user string) string {
	// %q makes the encoding injective: no two (scope, user) pairs collide.
	sum := sha256.Sum256(fmt.Appendf(nil, "%q %q %q", kind, scope, user))
	return "o" + base64.RawURLEncoding.EncodeToString(sum[:])[:27]
}

// randomText returns n characters drawn uniformly from alphabet (at most
// 256 characters long) using crypto/rand.
func randomText(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet) // reject bytes that would bias the draw
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newCode looks like a real wx.login code: 32 characters of [0-9A-Za-z].
func newCode() string { return randomText(32, alnum) }

// newSessionKey is Base64 of 16 random bytes, as WeChat's.
func newSessionKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// newAccessToken has the observed shape "<digits>_<letters>".
func newAccessToken() string { return "96_" + randomText(136, alnum+"-_") }

// newRID is a request id in WeChat's current format xxxxxxxx-xxxxxxxx-xxxxxxxx.
func newRID() string {
	b := make([]byte, 12)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:16] + "-" + h[16:]
}
