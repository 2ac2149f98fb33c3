package sessions

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"miniauth/tenants/keyring"
)

// Store keeps sessions in Redis. Keys:
//
//	<prefix>:t:<tenant>:s:<session id>   the session record, TTL = idle expiry
//	<prefix>:t:<tenant>:u:<user>:s       hash of the user's sessions: id → "issued|ip|device"
//
// The per-user hash is what makes "revoke every session of a user" cost
// O(sessions of that user) without a SCAN. Revoking a whole tenant raises
// its session epoch in MySQL instead (see tenants.Registry), O(1).
//
// Keys and index fields keep the session id whole, 43 base64url characters:
// readable in redis-cli, and the very id the admin API, access tokens and
// revocations name. Raw or shortened ids would save about 27 bytes a
// session (a 48-byte key allocation instead of 64, 11 bytes of index) at
// the price of that, or of a second lookup while older sessions live.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	keys   *keyring.Ring
	now    func() time.Time
	slid   slides
}

// NewStore returns a Store. prefix namespaces every key (e.g. "ma").
func NewStore(rdb redis.UniversalClient, prefix string, keys *keyring.Ring) *Store {
	return &Store{rdb: rdb, prefix: prefix, keys: keys, now: time.Now}
}

func (s *Store) sessionKey(tenantID int64, id string) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":s:" + id
}

func (s *Store) userKey(tenantID, userID int64) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":u:" + strconv.FormatInt(userID, 10) + ":s"
}

// New describes a session to create.
type New struct {
	TenantID    int64
	UserID      int64
	AppID       int64
	SessionKey  string // WeChat's session_key; sealed before it reaches Redis
	TenantEpoch int64
	UserEpoch   int64
	Idle        time.Duration
	Absolute    time.Duration
	IP          string
	UserAgent   string
}

// Create stores a new session and returns its token, which exists nowhere
// else: the caller hands it to the client and forgets it.
func (s *Store) Create(ctx context.Context, n New) (token string, sess *Session, err error) {
	token, id := newToken()
	now := s.now()
	sess = &Session{ID: id, TenantID: n.TenantID, UserID: n.UserID, AppID: n.AppID,
		IssuedAt: now, ExpiresAt: now.Add(n.Absolute),
		TenantEpoch: n.TenantEpoch, UserEpoch: n.UserEpoch}
	s.sealSessionKey(sess, n.SessionKey)

	ttl := min(n.Idle, n.Absolute)
	pipe := s.rdb.Pipeline()
	pipe.Set(ctx, s.sessionKey(n.TenantID, id), sess.encode(), ttl)
	pipe.HSet(ctx, s.userKey(n.TenantID, n.UserID), id, indexEntry(now, n.IP, n.UserAgent))
	pipe.Expire(ctx, s.userKey(n.TenantID, n.UserID), n.Absolute)
	s.noteLogin(ctx, pipe, n, now)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("sessions: create: %w", err)
	}
	return token, sess, nil
}

// Policy is what a tenant currently says about its sessions.
type Policy struct {
	Idle        time.Duration
	TenantEpoch int64
}

// Get returns the session of token in tenant, sliding its idle expiry.
// Unknown, expired, revoked, malformed and other tenants' tokens all give
// ErrNotFound, indistinguishably.
func (s *Store) Get(ctx context.Context, tenantID int64, token string, p Policy) (*Session, error) {
	if !WellFormed(token) {
		return nil, ErrNotFound
	}
	id := IDOf(token)
	key := s.sessionKey(tenantID, id)
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: get: %w", err)
	}
	sess, err := decode(id, tenantID, v)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || sess.TenantEpoch < p.TenantEpoch {
		return nil, ErrNotFound
	}
	// Slide the idle expiry and note the use, at most once a step per
	// session and node: a busy session costs one GET per request, as
	// little as a session lookup can.
	step := slideStep(p.Idle)
	if s.slid.due(key, now, step) {
		pipe := s.rdb.Pipeline()
		pipe.PExpire(ctx, key, min(p.Idle, sess.ExpiresAt.Sub(now)))
		s.noteSeen(ctx, pipe, sess, now, p.Idle)
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("sessions: slide: %w", err)
		}
		s.slid.note(key, now, step)
	}
	return sess, nil
}

// slides remembers when this node last renewed each session's idle
// expiry. Entries live two steps (two generations of maps); at most
// maxSlides are kept, beyond which a session is merely renewed again
// sooner.
type slides struct {
	mu        sync.Mutex
	cur, prev map[string]time.Time
	rotated   time.Time
}

const maxSlides = 250_000

func (sl *slides) due(key string, now time.Time, step time.Duration) bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	at, ok := sl.cur[key]
	if !ok {
		at, ok = sl.prev[key]
	}
	return !ok || now.Sub(at) >= step || now.Before(at)
}

func (sl *slides) note(key string, now time.Time, step time.Duration) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.cur == nil || now.Sub(sl.rotated) >= step || len(sl.cur) >= maxSlides {
		sl.prev, sl.cur, sl.rotated = sl.cur, make(map[string]time.Time), now
	}
	sl.cur[key] = now
}

// slideStep is how far the idle expiry may lag before Get renews it.
func slideStep(idle time.Duration) time.Duration {
	return min(idle/100, time.Minute)
}

// sealSessionKey seals WeChat's session_key into sess. WeChat's keys are
// the standard base64 of 16 bytes; those 16 bytes are what is sealed, 24
// fewer than the text would take. Anything else is sealed as given.
func (s *Store) sealSessionKey(sess *Session, key string) {
	form, plain := keyText, []byte(key)
	switch raw, err := base64.StdEncoding.Strict().DecodeString(key); {
	case key == "":
		sess.keyForm = keyNone
		return
	case err == nil && len(raw) == 16 && base64.StdEncoding.EncodeToString(raw) == key:
		form, plain = keyBytes, raw
	}
	sess.SessionKeySealed, sess.KeyID = s.keys.Seal(plain, sessionKeyAD(sess.TenantID, sess.ID, form))
	sess.keyForm = form
}

// SessionKey opens the WeChat session_key kept with a session; a session
// that has none (a web login) gives "".
func (s *Store) SessionKey(sess *Session) (string, error) {
	if sess.keyForm == keyNone {
		return "", nil
	}
	plain, err := s.keys.Open(sess.SessionKeySealed, sess.KeyID, sessionKeyAD(sess.TenantID, sess.ID, sess.keyForm))
	if err != nil {
		return "", fmt.Errorf("sessions: session_key: %w", err)
	}
	if sess.keyForm == keyBytes {
		return base64.StdEncoding.EncodeToString(plain), nil
	}
	return string(plain), nil
}

// Revoke ends one session by id. Revoking a session that is gone is not an
// error.
func (s *Store) Revoke(ctx context.Context, tenantID, userID int64, id string) error {
	pipe := s.rdb.Pipeline()
	pipe.Del(ctx, s.sessionKey(tenantID, id))
	pipe.HDel(ctx, s.userKey(tenantID, userID), id)
	pipe.HDel(ctx, s.seenKey(tenantID, userID), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("sessions: revoke: %w", err)
	}
	return nil
}

// RevokeUser ends every session of a user, in O(sessions of the user).
func (s *Store) RevokeUser(ctx context.Context, tenantID, userID int64) (int, error) {
	ukey := s.userKey(tenantID, userID)
	ids, err := s.rdb.HKeys(ctx, ukey).Result()
	if err != nil {
		return 0, fmt.Errorf("sessions: revoke user: %w", err)
	}
	pipe := s.rdb.Pipeline()
	for _, id := range ids {
		pipe.Del(ctx, s.sessionKey(tenantID, id))
	}
	pipe.Del(ctx, ukey)
	pipe.Del(ctx, s.seenKey(tenantID, userID))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sessions: revoke user: %w", err)
	}
	return len(ids), nil
}

// Info is what an admin may see of a session: never the token.
type Info struct {
	ID        string
	UserID    int64
	AppID     int64 // set by ListUsers
	UserEpoch int64 // set by ListUsers
	IssuedAt  time.Time
	LastSeen  time.Time // its last use, to within the slide step
	IP        string
	UserAgent string // a summary, e.g. "WeChat 8.0.50 iOS 17.5"
	ExpiresIn time.Duration
	ExpiresAt time.Time // the absolute expiry; set by ListUsers
}

// ListUser returns the live sessions of a user and forgets dead ones.
func (s *Store) ListUser(ctx context.Context, tenantID, userID int64) ([]Info, error) {
	ukey := s.userKey(tenantID, userID)
	all, err := s.rdb.HGetAll(ctx, ukey).Result()
	if err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	ids := make([]string, 0, len(all))
	pipe := s.rdb.Pipeline()
	seen := pipe.HGetAll(ctx, s.seenKey(tenantID, userID))
	ttls := make([]*redis.DurationCmd, 0, len(all))
	for id := range all {
		ids = append(ids, id)
		ttls = append(ttls, pipe.PTTL(ctx, s.sessionKey(tenantID, id)))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("sessions: list: %w", err)
		}
	}
	var out []Info
	var dead []string
	for i, id := range ids {
		ttl := ttls[i].Val()
		if ttl <= 0 {
			dead = append(dead, id)
			continue
		}
		info := Info{ID: id, UserID: userID, ExpiresIn: ttl}
		info.IssuedAt, info.IP, info.UserAgent = parseIndexEntry(all[id])
		info.LastSeen = seenAt(seen.Val()[id], info.IssuedAt)
		out = append(out, info)
	}
	if len(dead) > 0 {
		s.rdb.HDel(ctx, ukey, dead...) // best effort tidying
		s.rdb.HDel(ctx, s.seenKey(tenantID, userID), dead...)
	}
	return out, nil
}

// maxIndexEntry is Redis's default hash-max-listpack-value. While every
// value of a user's index is this short, Redis keeps the index as one
// compact listpack; a single longer value converts it, for good, into a hash
// table of several times the memory.
const maxIndexEntry = 64

// indexEntry is a session's value in its user's index: "issued|ip|device",
// at most maxIndexEntry bytes. The address is kept whole (45 bytes fits any
// IPv6 text form); the device summary gives way.
func indexEntry(issued time.Time, ip, userAgent string) string {
	head := strconv.FormatInt(issued.Unix(), 10) + "|" + clip(ip, 45) + "|"
	return head + strings.TrimSpace(clip(summarizeUA(userAgent), maxIndexEntry-len(head)))
}

// parseIndexEntry reads an index value. Entries written before summaries
// hold the whole user agent (up to 200 bytes); it is summarized here.
func parseIndexEntry(v string) (issued time.Time, ip, device string) {
	f := strings.SplitN(v, "|", 3)
	if len(f) != 3 {
		return time.Time{}, "", ""
	}
	sec, _ := strconv.ParseInt(f[0], 10, 64)
	return time.Unix(sec, 0), f[1], summarizeUA(f[2])
}

// sessionKeyAD binds a sealed session_key to its tenant, its session and
// what was sealed, so that a record's form byte cannot be changed to make
// the bytes open as something else. The text form's is v1's.
func sessionKeyAD(tenantID int64, id string, form keyForm) string {
	ad := "session-key:" + strconv.FormatInt(tenantID, 10) + ":" + id
	if form == keyBytes {
		ad += ":bytes"
	}
	return ad
}

// clip shortens s to at most n bytes on a rune boundary and drops "|".
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "|", " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
