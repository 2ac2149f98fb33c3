// Package signup keeps the short-lived, single-use records of the
// registration flows in Redis, under each tenant's namespace:
//
//   - sign-up tickets: what a login learned about a WeChat identity the
//     tenant does not know yet, redeemed by POST /register;
//   - web OAuth states: the pending official-account authorization of a
//     browser, checked by the callback.
//
// Redis keeps only the SHA-256 of a ticket or state, like sessions.
package signup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/keyring"
	"miniauth/tenants/stats"
)

// ErrInvalid: the ticket or state is unknown, expired, already used, or
// belongs to another tenant.
var ErrInvalid = errors.New("signup: invalid or expired ticket")

// Lifetimes.
const (
	TicketTTL = 10 * time.Minute
	StateTTL  = 10 * time.Minute
)

// TicketPrefix marks sign-up tickets.
const TicketPrefix = "mat_"

// Store keeps tickets and states.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	keys   *keyring.Ring
}

// NewStore returns a Store; prefix namespaces every key (e.g. "ma").
func NewStore(rdb redis.UniversalClient, prefix string, keys *keyring.Ring) *Store {
	return &Store{rdb: rdb, prefix: prefix, keys: keys}
}

// Pending is what a login learned about an identity that is not a user yet.
type Pending struct {
	AppID      int64
	OpenID     string
	UnionID    string
	SessionKey string    // WeChat's session_key; sealed in Redis, "" for official accounts
	Phone      string    // a phone number WeChat verified at the login, if any
	Way        stats.Way // the way in that issued the ticket; "" in tickets issued before they named it
}

type pendingRecord struct {
	AppID   int64  `json:"a"`
	OpenID  string `json:"o"`
	UnionID string `json:"u,omitempty"`
	Phone   string `json:"p,omitempty"`
	Sealed  []byte `json:"k,omitempty"`
	KeyID   string `json:"kid,omitempty"`
	Way     string `json:"w,omitempty"`
}

func (s *Store) key(tenantID int64, kind, id string) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":" + kind + ":" + id
}

// Issue stores p and returns a fresh ticket for it.
func (s *Store) Issue(ctx context.Context, tenantID int64, p Pending) (string, error) {
	ticket, id := newSecret(TicketPrefix)
	rec := pendingRecord{AppID: p.AppID, OpenID: p.OpenID, UnionID: p.UnionID, Phone: p.Phone, Way: string(p.Way)}
	if p.SessionKey != "" {
		rec.Sealed, rec.KeyID = s.keys.Seal([]byte(p.SessionKey), ticketAD(tenantID, id))
	}
	b, _ := json.Marshal(rec)
	if err := s.rdb.Set(ctx, s.key(tenantID, "signup", id), b, TicketTTL).Err(); err != nil {
		return "", fmt.Errorf("signup: issue: %w", err)
	}
	return ticket, nil
}

// Peek reads the ticket without spending it, so that a sign-up refused
// (say, for a phone number in use) can be tried again.
func (s *Store) Peek(ctx context.Context, tenantID int64, ticket string) (*Pending, error) {
	if !wellFormed(ticket, TicketPrefix) {
		return nil, ErrInvalid
	}
	id := idOf(ticket)
	raw, err := s.rdb.Get(ctx, s.key(tenantID, "signup", id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("signup: peek: %w", err)
	}
	var rec pendingRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, ErrInvalid
	}
	p := &Pending{AppID: rec.AppID, OpenID: rec.OpenID, UnionID: rec.UnionID, Phone: rec.Phone, Way: stats.Way(rec.Way)}
	if len(rec.Sealed) > 0 {
		plain, err := s.keys.Open(rec.Sealed, rec.KeyID, ticketAD(tenantID, id))
		if err != nil {
			return nil, ErrInvalid
		}
		p.SessionKey = string(plain)
	}
	return p, nil
}

// Spend uses the ticket up. Of concurrent sign-ups with one ticket only one
// spends it; the others get ErrInvalid. Call it inside the sign-up's
// transaction so that a failed spend writes nothing.
func (s *Store) Spend(ctx context.Context, tenantID int64, ticket string) error {
	n, err := s.rdb.Del(ctx, s.key(tenantID, "signup", idOf(ticket))).Result()
	if err != nil {
		return fmt.Errorf("signup: spend: %w", err)
	}
	if n != 1 {
		return ErrInvalid
	}
	return nil
}

// State is a pending web OAuth authorization.
type State struct {
	AppID       int64  `json:"a"`
	Scope       string `json:"s"`
	RedirectURI string `json:"r"`
}

// NewState stores st and returns its state value: 32 characters of
// [A-Za-z0-9], as WeChat accepts for the state parameter.
func (s *Store) NewState(ctx context.Context, tenantID int64, st State) (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		panic("signup: crypto/rand failed: " + err.Error())
	}
	state := strings.NewReplacer("-", "A", "_", "B").Replace(base64.RawURLEncoding.EncodeToString(raw))
	b, _ := json.Marshal(st)
	if err := s.rdb.Set(ctx, s.key(tenantID, "oauth", idOf(state)), b, StateTTL).Err(); err != nil {
		return "", fmt.Errorf("signup: state: %w", err)
	}
	return state, nil
}

// TakeState returns the authorization of state and forgets it: a state
// works once.
func (s *Store) TakeState(ctx context.Context, tenantID int64, state string) (*State, error) {
	if len(state) != 32 {
		return nil, ErrInvalid
	}
	raw, err := s.rdb.GetDel(ctx, s.key(tenantID, "oauth", idOf(state))).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("signup: state: %w", err)
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, ErrInvalid
	}
	return &st, nil
}

func newSecret(prefix string) (secret, id string) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic("signup: crypto/rand failed: " + err.Error())
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return secret, idOf(secret)
}

func idOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func wellFormed(s, prefix string) bool {
	if len(s) != len(prefix)+43 || !strings.HasPrefix(s, prefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(prefix):])
	return err == nil
}

func ticketAD(tenantID int64, id string) string {
	return "signup-ticket:" + strconv.FormatInt(tenantID, 10) + ":" + id
}
