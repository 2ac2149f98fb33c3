// Package sessions keeps the sessions of mini-program users in Redis, under
// each tenant's namespace. A session token is handed to the client once;
// Redis only ever holds its SHA-256.
package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/netip"
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

// A token is the prefix and the base64url of its random bytes; its length
// says which form of the session it stands for:
//
//   - v3 (tokenLen): 33 random bytes (264 bits), 44 characters. The session
//     id is the first 16 bytes of the token's SHA-256: 22 base64url
//     characters shown to admins and named by access tokens, and 16 raw
//     bytes in the Redis key and the user's index.
//   - legacy (legacyTokenLen): 32 random bytes, 43 characters; the id is
//     the whole SHA-256, 43 characters, and so is the key.
//
// Telling the forms apart by the token itself costs nothing per request:
// no second lookup while legacy sessions live (they end within their
// tenant's absolute lifetime after the upgrade).
const (
	tokenLen       = len(TokenPrefix) + 44
	legacyTokenLen = len(TokenPrefix) + 43
	idLen          = 22 // a v3 session id
	legacyIDLen    = 43
	rawIDLen       = 16
)

// Session is what the platform remembers about a logged-in user.
type Session struct {
	ID               string // the session's id (see IDOf): safe to show and to revoke by
	TenantID         int64
	UserID           int64
	AppID            int64
	IssuedAt         time.Time
	ExpiresAt        time.Time // absolute expiry; the idle expiry is the Redis TTL
	TenantEpoch      int64
	UserEpoch        int64
	SessionKeySealed []byte
	KeyID            string
	// Where the session was made, for the console: the client's address and
	// a summary of its user agent (v3 records; a legacy session keeps them
	// in its user's index).
	IP     string
	Device string
	// LastSeen is the session's last use as the record knows it: renewed
	// with the idle expiry (Store.Get), so true to within a slide step; the
	// issue time until then, and for legacy records.
	LastSeen time.Time
	keyForm  keyForm
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
	var raw [33]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("sessions: crypto/rand failed: " + err.Error())
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return token, IDOf(token)
}

// IDOf is the session id of a token: the base64url of the first 16 bytes
// of its SHA-256 (the whole SHA-256 for a legacy token).
func IDOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	if len(token) == legacyTokenLen {
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return base64.RawURLEncoding.EncodeToString(sum[:rawIDLen])
}

// rawID is the 16 bytes a v3 session id stands for; ok is false for a
// legacy id or anything else.
func rawID(id string) (raw [rawIDLen]byte, ok bool) {
	if len(id) != idLen {
		return raw, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(raw[:], []byte(id))
	return raw, err == nil && n == rawIDLen
}

// validID reports whether id could name a session at all.
func validID(id string) bool {
	if _, ok := rawID(id); ok {
		return true
	}
	return len(id) == legacyIDLen && base64URL(id)
}

// WellFormed reports whether token could be a session token at all, so that
// garbage is refused before it costs a Redis round trip.
func WellFormed(token string) bool {
	if len(token) != tokenLen && len(token) != legacyTokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return false
	}
	return base64URL(token[len(TokenPrefix):])
}

func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// A session record is short binary, not JSON: Redis memory per session
// matters at millions of sessions, and Redis's allocator rounds a value up
// to its size classes (16-byte steps at this size). A v3 record of a
// mini-program session, about 86 bytes, takes a 96-byte allocation, with
// what the user's index used to hold (address, device) inside it.
//
//	v3: '3' uvarint(user app issued lifetime tenant-epoch user-epoch seen)
//	    len ip (0, 4 or 16 bytes)  len device  form [len key-id  sealed]
//
// The sealed session_key is the ciphertext and tag alone: its nonce is
// derived from the session id (sessionKeyNonce), which is unique, and a
// record is sealed once, when the session is made.
//
// Legacy records (legacy tokens' sessions, which live for days across the
// upgrade) are "|"-separated text, and decode still reads them:
//
//	v1: 1|user|app|issued|expires|tenant epoch|user epoch|key id|base64(sealed session_key)
//	v2: 2|user|app|issued|lifetime|tenant epoch|user epoch|key id|form sealed
const recordV3 = '3'

func (s *Session) encode() string {
	b := make([]byte, 0, 96)
	b = append(b, recordV3)
	issued := s.IssuedAt.Unix()
	for _, n := range [...]int64{s.UserID, s.AppID, issued, s.ExpiresAt.Unix() - issued,
		s.TenantEpoch, s.UserEpoch, s.LastSeen.Unix() - issued} {
		b = binary.AppendUvarint(b, uint64(max(n, 0)))
	}
	var ip []byte
	if a, err := netip.ParseAddr(s.IP); err == nil {
		ip = a.Unmap().AsSlice()
	}
	b = append(b, byte(len(ip)))
	b = append(b, ip...)
	device := clip(s.Device, maxDevice)
	b = append(b, byte(len(device)))
	b = append(b, device...)
	b = append(b, byte(s.keyForm))
	if s.keyForm != keyNone {
		b = append(b, byte(len(s.KeyID)))
		b = append(b, s.KeyID...)
		b = append(b, s.SessionKeySealed...)
	}
	return string(b)
}

func decodeV3(id string, tenantID int64, v string) (*Session, error) {
	r := v[1:]
	var n [7]int64
	for i := range n {
		x, w := binary.Uvarint([]byte(r))
		if w <= 0 || x > 1<<62 {
			return nil, errUnreadable
		}
		n[i], r = int64(x), r[w:]
	}
	field := func() (string, bool) {
		if len(r) < 1 || len(r) < 1+int(r[0]) {
			return "", false
		}
		f := r[1 : 1+int(r[0])]
		r = r[1+int(r[0]):]
		return f, true
	}
	ip, ok1 := field()
	device, ok2 := field()
	if !ok1 || !ok2 || len(ip) != 0 && len(ip) != 4 && len(ip) != 16 || len(r) < 1 {
		return nil, errUnreadable
	}
	sess := &Session{ID: id, TenantID: tenantID, UserID: n[0], AppID: n[1],
		IssuedAt: time.Unix(n[2], 0), ExpiresAt: time.Unix(n[2]+n[3], 0),
		TenantEpoch: n[4], UserEpoch: n[5], LastSeen: time.Unix(n[2]+n[6], 0), Device: device, keyForm: keyForm(r[0])}
	if a, ok := netip.AddrFromSlice([]byte(ip)); ok {
		sess.IP = a.String()
	}
	r = r[1:]
	switch sess.keyForm {
	case keyNone:
		if r != "" {
			return nil, errUnreadable
		}
	case keyText, keyBytes:
		keyID, ok := field()
		if !ok || keyID == "" || r == "" {
			return nil, errUnreadable
		}
		sess.KeyID, sess.SessionKeySealed = keyID, []byte(r)
	default:
		return nil, errUnreadable
	}
	return sess, nil
}

var errUnreadable = errors.New("sessions: unreadable record")

func decode(id string, tenantID int64, v string) (*Session, error) {
	if len(v) > 0 && v[0] == recordV3 {
		return decodeV3(id, tenantID, v)
	}
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
		sess.SessionKeySealed, sess.keyForm, sess.LastSeen = sealed, keyText, sess.IssuedAt
		return sess, nil
	}
	sess.ExpiresAt, sess.LastSeen = time.Unix(n[2]+n[3], 0), sess.IssuedAt
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
