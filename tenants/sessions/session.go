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
	keyForm          keyForm
}

// keyForm says what of WeChat's session_key a record sealed.
type keyForm byte

const (
	keyNone  keyForm = 0   // no session_key (a web login): nothing sealed
	keyText  keyForm = 't' // the text as given: v1 records, and keys not of WeChat's form
	keyBytes keyForm = 'b' // the 16 bytes that WeChat's 24-character base64 key stands for
)

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

// A session record is a short "|"-separated line, not JSON: Redis memory
// per session matters at millions of sessions. Redis's allocator rounds a
// value up to its size classes (16-byte steps at this size), so the value
// of a v2 record, about 89 bytes, takes 96 where v1's 117 took 128.
//
// v1: 1|user|app|issued|expires|tenant epoch|user epoch|key id|base64(sealed session_key)
// v2: 2|user|app|issued|lifetime|tenant epoch|user epoch|key id|form sealed
//
// v2 keeps the absolute lifetime in seconds rather than the expiry time, and
// the sealed session_key as raw bytes (Redis strings are binary-safe),
// after one byte that says what was sealed (see keyForm); it is the last
// field, so "|" among its bytes is harmless. A session without a
// session_key has an empty key id and nothing after it. Sessions live for
// days, across deploys: decode reads both versions.
func (s *Session) encode() string {
	b := make([]byte, 0, 96)
	b = append(b, "2|"...)
	for _, n := range [...]int64{s.UserID, s.AppID, s.IssuedAt.Unix(), s.ExpiresAt.Unix() - s.IssuedAt.Unix(),
		s.TenantEpoch, s.UserEpoch} {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, '|')
	}
	if s.keyForm != keyNone {
		b = append(b, s.KeyID...)
		b = append(b, '|', byte(s.keyForm))
		b = append(b, s.SessionKeySealed...)
	} else {
		b = append(b, '|')
	}
	return string(b)
}

var errUnreadable = errors.New("sessions: unreadable record")

func decode(id string, tenantID int64, v string) (*Session, error) {
	f := strings.SplitN(v, "|", 9)
	if len(f) != 9 || f[0] != "1" && f[0] != "2" {
		return nil, errUnreadable
	}
	var n [6]int64
	for i := range n {
		x, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return nil, errUnreadable
		}
		n[i] = x
	}
	sess := &Session{ID: id, TenantID: tenantID, UserID: n[0], AppID: n[1],
		IssuedAt: time.Unix(n[2], 0), ExpiresAt: time.Unix(n[3], 0),
		TenantEpoch: n[4], UserEpoch: n[5], KeyID: f[7]}
	if f[0] == "1" {
		sealed, err := base64.RawStdEncoding.DecodeString(f[8])
		if err != nil {
			return nil, errUnreadable
		}
		sess.SessionKeySealed, sess.keyForm = sealed, keyText
		return sess, nil
	}
	sess.ExpiresAt = time.Unix(n[2]+n[3], 0)
	switch {
	case f[7] == "" && f[8] == "":
		sess.keyForm = keyNone
	case f[7] != "" && len(f[8]) > 1 && (keyForm(f[8][0]) == keyText || keyForm(f[8][0]) == keyBytes):
		sess.keyForm, sess.SessionKeySealed = keyForm(f[8][0]), []byte(f[8][1:])
	default:
		return nil, errUnreadable
	}
	return sess, nil
}
