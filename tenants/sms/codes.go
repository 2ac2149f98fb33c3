package sms

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Code rules (sms-api.md §3.3): 6 digits from crypto/rand, 5 minutes,
// single use, 5 wrong tries end it.
const (
	CodeTTL     = 5 * time.Minute
	MaxAttempts = 5
	codeDigits  = 6
)

// Purposes a code is bound to: a code sent to sign in does not bind a
// phone, and the other way round.
const (
	PurposeLogin = "login"
	PurposeBind  = "bind"
)

// ErrInvalidCode is Verify's one answer for a wrong, expired, used or
// exhausted code, so that nothing tells them apart (nor whether the phone
// was ever sent one).
var ErrInvalidCode = errors.New("sms: invalid code")

// ErrInvalidPurpose: a purpose other than PurposeLogin and PurposeBind.
var ErrInvalidPurpose = errors.New(`sms: purpose must be "login" or "bind"`)

func validPurpose(p string) bool { return p == PurposeLogin || p == PurposeBind }

// Codes keeps the codes in flight in Redis, one per (tenant, phone,
// purpose), as keyed hashes only: a reader of Redis learns neither the
// codes nor the phones (the key names a phone by its keyed hash too).
type Codes struct {
	rdb    redis.UniversalClient
	prefix string
	key    []byte
}

// NewCodes returns a code store whose keys start with prefix (e.g. "ma")
// and whose hashes are keyed with key (keyring.Ring.DeriveKey("sms-code")).
func NewCodes(rdb redis.UniversalClient, prefix string, key []byte) *Codes {
	return &Codes{rdb: rdb, prefix: prefix, key: key}
}

func (c *Codes) mac(parts ...string) string {
	m := hmac.New(sha256.New, c.key)
	for _, p := range parts {
		m.Write([]byte(strconv.Itoa(len(p)) + ":" + p)) // length-prefixed: no two part lists collide
	}
	return hex.EncodeToString(m.Sum(nil))
}

// phoneID names a phone in key names without revealing it.
func (c *Codes) phoneID(phone string) string { return c.mac("phone", phone)[:32] }

func (c *Codes) codeKey(tenantID int64, phone, purpose string) string {
	return c.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":sms:code:" + purpose + ":" + c.phoneID(phone)
}

func (c *Codes) hash(tenantID int64, phone, purpose, code string) string {
	return c.mac("code", strconv.FormatInt(tenantID, 10), purpose, phone, code)
}

// newCode is a uniform 6-digit code, leading zeros kept: rejection
// sampling over 20 random bits.
func newCode() string {
	var b [4]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("sms: crypto/rand failed: " + err.Error())
		}
		v := (uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16) & (1<<20 - 1)
		if v < 1_000_000 {
			return fmt.Sprintf("%0*d", codeDigits, v)
		}
	}
}

// Issued is a code put in place, with what it replaced, so that Withdraw
// can undo it when the SMS could not be sent.
type Issued struct {
	key      string
	id       string
	prev     []string // the replaced code's hash, attempts and id; nil if none
	prevLeft time.Duration
}

// A resend replaces the code in flight; the wrong tries spent on it carry
// over (NIST SP 800-63B: a new secret does not reset the count).
var issueScript = redis.NewScript(`
local old = redis.call('HMGET', KEYS[1], 'h', 'n', 'id')
local left = redis.call('PTTL', KEYS[1])
local n = tonumber(old[2]) or 0
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'n', n, 'id', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if old[1] and left > 0 then return {old[1], tostring(n), old[3] or '', left} end
return {}`)

// Issue makes a code for phone (E.164) and purpose and stores its hash,
// replacing the one in flight. The code is returned to be sent, never kept.
func (c *Codes) Issue(ctx context.Context, tenantID int64, phone, purpose string) (string, *Issued, error) {
	if !validPurpose(purpose) {
		return "", nil, ErrInvalidPurpose
	}
	code := newCode()
	is := &Issued{key: c.codeKey(tenantID, phone, purpose), id: newID()}
	res, err := issueScript.Run(ctx, c.rdb, []string{is.key}, c.hash(tenantID, phone, purpose, code), is.id, CodeTTL.Milliseconds()).Slice()
	if err != nil {
		return "", nil, fmt.Errorf("sms: issue code: %w", err)
	}
	if len(res) == 4 {
		left, _ := res[3].(int64)
		is.prev, is.prevLeft = []string{fmt.Sprint(res[0]), fmt.Sprint(res[1]), fmt.Sprint(res[2])}, time.Duration(left)*time.Millisecond
	}
	return code, is, nil
}

// withdrawScript puts the replaced code back, if the issued one is still
// in place; the tries spent meanwhile stay spent.
var withdrawScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) return 1 end
local n = redis.call('HGET', KEYS[1], 'n')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[2], 'n', n, 'id', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`)

// Withdraw undoes Issue after a failed send: the code that was never
// delivered goes, and the one it replaced (which the user may have) is
// back for the rest of its life.
func (c *Codes) Withdraw(ctx context.Context, is *Issued) error {
	prevHash, prevID, left := "", "", int64(0)
	if is.prev != nil {
		prevHash, prevID, left = is.prev[0], is.prev[2], max(1, is.prevLeft.Milliseconds())
	}
	if err := withdrawScript.Run(ctx, c.rdb, []string{is.key}, is.id, prevHash, prevID, left).Err(); err != nil {
		return fmt.Errorf("sms: withdraw code: %w", err)
	}
	return nil
}

// verifyScript checks and spends in one step: a right code is deleted
// (single use), a wrong one spends a try and the last try deletes it. The
// hashes compared are keyed, so comparing them in Lua tells an attacker
// nothing about the code.
var verifyScript = redis.NewScript(`
local h = redis.call('HGET', KEYS[1], 'h')
if not h then return 0 end
if h == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n >= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
return 0`)

// Verify spends code for phone (E.164) and purpose: nil if it is the code
// in flight, else ErrInvalidCode, whatever the reason.
func (c *Codes) Verify(ctx context.Context, tenantID int64, phone, purpose, code string) error {
	if !validPurpose(purpose) {
		return ErrInvalidPurpose
	}
	ok, err := verifyScript.Run(ctx, c.rdb, []string{c.codeKey(tenantID, phone, purpose)},
		c.hash(tenantID, phone, purpose, code), MaxAttempts).Int()
	if err != nil {
		return fmt.Errorf("sms: verify code: %w", err)
	}
	if ok != 1 {
		return ErrInvalidCode
	}
	return nil
}

func newID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sms: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
