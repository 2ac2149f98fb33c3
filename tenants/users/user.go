// Package users keeps the users of each tenant and the WeChat identities
// bound to them: find-or-register at login, profile, ban.
package users

import (
	"crypto/rand"
	"errors"
	"time"

	"miniauth/tenants"
)

// Errors of the users domain.
var (
	ErrNotFound = errors.New("users: not found")
	ErrBanned   = errors.New("users: user banned")
	ErrInvalid  = tenants.ErrInvalid // validation failures are *tenants.InvalidError
)

// Status of a user.
const (
	StatusActive = "active"
	StatusBanned = "banned"
)

// User is an account of a tenant. ID is internal; PublicID is what goes on
// the wire.
type User struct {
	ID               int64      `db:"id"`
	TenantID         int64      `db:"tenant_id"`
	PublicID         string     `db:"public_id"`
	Nickname         string     `db:"nickname"`
	AvatarURL        string     `db:"avatar_url"`
	Phone            *string    `db:"phone"`
	UnionID          *string    `db:"unionid"`
	Status           string     `db:"status"`
	BanReason        *string    `db:"ban_reason"`
	BannedUntil      *time.Time `db:"banned_until"` // nil: until lifted
	SessionEpoch     int64      `db:"session_epoch"`
	CreatedAt        time.Time  `db:"created_at"`
	LastLoginAt      *time.Time `db:"last_login_at"`
	PhoneLastLoginAt *time.Time `db:"phone_last_login_at"` // the last sign-in by SMS code
}

const userColumns = `id, tenant_id, public_id, nickname, avatar_url, phone, unionid, status,
	ban_reason, banned_until, session_epoch, created_at, last_login_at, phone_last_login_at`

// Banned reports whether the user may not log in: banned, and the ban's
// end, if it has one, not reached. A ban that ended needs nobody to lift it.
func (u *User) Banned() bool { return u.BannedAt(time.Now()) }

// BannedAt reports whether the user is banned at the time now.
func (u *User) BannedAt(now time.Time) bool {
	return u.Status == StatusBanned && (u.BannedUntil == nil || now.Before(*u.BannedUntil))
}

// PhoneBound reports whether a phone number is bound to the user.
func (u *User) PhoneBound() bool { return u.Phone != nil && *u.Phone != "" }

// Identity is a WeChat identity: one openid of one app, bound to a user.
type Identity struct {
	ID       int64   `db:"id"`
	TenantID int64   `db:"tenant_id"`
	UserID   int64   `db:"user_id"`
	AppID    int64   `db:"app_id"`
	OpenID   string  `db:"openid"`
	UnionID  *string `db:"unionid"`
}

// Login is what WeChat told us about the person logging in.
type Login struct {
	TenantID int64
	AppID    int64
	OpenID   string
	UnionID  string // empty when the app is not bound to an open platform
}

const publicIDAlphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case

// newPublicID returns "u_" and 26 base32 characters of 128 random bits:
// opaque, unguessable, and unrelated to the row id or creation order.
func newPublicID() string {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("users: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, 0, 28)
	out = append(out, 'u', '_')
	var acc uint32
	bits := 0
	for _, b := range raw {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, publicIDAlphabet[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		out = append(out, publicIDAlphabet[(acc<<(5-bits))&31])
	}
	return string(out)
}
