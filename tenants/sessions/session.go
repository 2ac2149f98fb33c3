// Package sessions keeps the sessions of mini-program users in Redis, under
// each tenant's namespace. A session token is handed to the client once;
// Redis only ever holds its SHA-256.
package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of the sessions domain.
var (
	ErrNotFound = errors.New("sessions: no such session") // unknown, expired, revoked or malformed
)

// TokenPrefix marks miniauth session tokens so that secret scanners and
// people can recognise one.
const TokenPrefix = "mas_"

// tokenLen is the prefix plus 43 base64url characters of 256 random bits.
const tokenLen = len(TokenPrefix) + 43

// Session is what the platform remembers about a logged-in user.
type Session struct {
	ID               string // base64url SHA-256 of the token: safe to show and to revoke by
	TenantID         int64
	UserID           int64
	AppID            int64
	IssuedAt         time.Time
	ExpiresAt        time.Time // absolute expiry; the idle expiry is the Redis TTL
	TenantEpoch      int64
	UserEpoch        int64
	SessionKeySealed []byte
	KeyID            string
}

// newToken returns a fresh token and its session id.
func newToken() (token, id string) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("sessions: crypto/rand failed: " + err.Error())
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return token, IDOf(token)
}

// IDOf is the session id of a token: the base64url SHA-256 of it.
func IDOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// WellFormed reports whether token could be a session token at all, so that
// garbage is refused before it costs a Redis round trip.
func WellFormed(token string) bool {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return false
	}
	for _, c := range token[len(TokenPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// encode writes a session as a compact "|"-separated record (v1). Redis
// memory per session matters at millions of sessions; JSON would double it.
func (s *Session) encode() string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString("1|")
	for _, n := range []int64{s.UserID, s.AppID, s.IssuedAt.Unix(), s.ExpiresAt.Unix(), s.TenantEpoch, s.UserEpoch} {
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteByte('|')
	}
	b.WriteString(s.KeyID)
	b.WriteByte('|')
	b.WriteString(base64.RawStdEncoding.EncodeToString(s.SessionKeySealed))
	return b.String()
}

func decode(id string, tenantID int64, v string) (*Session, error) {
	f := strings.Split(v, "|")
	if len(f) != 9 || f[0] != "1" {
		return nil, errors.New("sessions: unreadable record")
	}
	var n [6]int64
	for i := range n {
		x, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return nil, errors.New("sessions: unreadable record")
		}
		n[i] = x
	}
	sealed, err := base64.RawStdEncoding.DecodeString(f[8])
	if err != nil {
		return nil, errors.New("sessions: unreadable record")
	}
	return &Session{ID: id, TenantID: tenantID, UserID: n[0], AppID: n[1],
		IssuedAt: time.Unix(n[2], 0), ExpiresAt: time.Unix(n[3], 0),
		TenantEpoch: n[4], UserEpoch: n[5], KeyID: f[7], SessionKeySealed: sealed}, nil
}
