package sessions

import (
	"context"
	"crypto/sha256"
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
//	<prefix>:t:<tenant>:S:<16 id bytes>  the session record, TTL = idle expiry
//	<prefix>:t:<tenant>:u:<user>:s       hash of the user's sessions: id bytes → ""
//	<prefix>:t:<tenant>:s:<legacy id>    a legacy session's record (43-character id)
//
// The per-user hash is what makes "revoke every session of a user" cost
// O(sessions of that user) without a SCAN. Revoking a whole tenant raises
// its session epoch in MySQL instead (see tenants.Registry), O(1).
//
// Keys and index fields hold the id's 16 raw bytes, not its 22 characters:
// at a million sessions every byte of a key is a megabyte, and a key of up
// to 31 bytes fits a 32-byte allocation. The user's index keeps nothing
// but the ids (the record has the rest): an entry is about 20 bytes of
// its listpack. A legacy session's index value is "issued|ip|device".
type Store struct {
	rdb    redis.UniversalClient
	reads  *reads // the record's GET of every authenticated request
	prefix string
	keys   *keyring.Ring
	now    func() time.Time
	slid   slides
}

// NewStore returns a Store. prefix namespaces every key (e.g. "ma").
func NewStore(rdb redis.UniversalClient, prefix string, keys *keyring.Ring) *Store {
	return &Store{rdb: rdb, reads: newReads(rdb, readLanes), prefix: prefix, keys: keys, now: time.Now}
}

// sessionKey is the record's key of the session id names.
func (s *Store) sessionKey(tenantID int64, id string) string {
	if raw, ok := rawID(id); ok {
		return s.recordKey(tenantID, raw[:])
	}
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":s:" + id
}

// recordKey is a v3 record's key, from the id's raw bytes.
func (s *Store) recordKey(tenantID int64, raw []byte) string {
	return s.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":S:" + string(raw)
}

// indexField is the session's field in its user's index.
func indexField(id string) string {
	if raw, ok := rawID(id); ok {
		return string(raw[:])
	}
	return id
}

// idOfField is the session id an index field stands for.
func idOfField(f string) string {
	if len(f) == rawIDLen {
		return base64.RawURLEncoding.EncodeToString([]byte(f))
	}
	return f
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
		TenantEpoch: n.TenantEpoch, UserEpoch: n.UserEpoch,
		IP: n.IP, Device: summarizeUA(n.UserAgent), LastSeen: now}
	s.sealSessionKey(sess, n.SessionKey)

	ttl := min(n.Idle, n.Absolute)
	field := indexField(id)
	pipe := s.rdb.Pipeline()
	pipe.Set(ctx, s.recordKey(n.TenantID, []byte(field)), sess.encode(), ttl)
	pipe.HSet(ctx, s.userKey(n.TenantID, n.UserID), field, "")
	pipe.Expire(ctx, s.userKey(n.TenantID, n.UserID), n.Absolute)
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
	sum := sha256.Sum256([]byte(token))
	var id, key string
	if len(token) == legacyTokenLen {
		id = base64.RawURLEncoding.EncodeToString(sum[:])
		key = s.sessionKey(tenantID, id)
	} else {
		id = base64.RawURLEncoding.EncodeToString(sum[:rawIDLen])
		key = s.recordKey(tenantID, sum[:rawIDLen])
	}
	v, err := s.reads.get(ctx, key)
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
	// Slide the idle expiry and note the use, at most once a step: a busy
	// session costs one GET per request, as little as a session lookup
	// can. A v3 record says when it was last renewed, by whichever node
	// (LastSeen, to the second), so the record decides and a node keeps
	// nothing per session; a legacy record does not say, and this node
	// remembers its own renewals (slides).
	step, ttl := slideStep(p.Idle), min(p.Idle, sess.ExpiresAt.Sub(now))
	if len(sess.ID) == idLen {
		// A record stamped more than a step ahead of this clock (a node
		// whose clock is ahead) is renewed too, rather than left to lapse.
		if since := now.Sub(sess.LastSeen); since >= step || since < -step {
			if err := s.slide(ctx, key, sess, now, ttl); err != nil {
				return nil, err
			}
		}
		return sess, nil
	}
	slot := slideKey{tenant: tenantID, id: [rawIDLen]byte(sum[:rawIDLen])}
	if s.slid.due(slot, now, step) {
		if err := s.slide(ctx, key, sess, now, ttl); err != nil {
			return nil, err
		}
		s.slid.note(slot, now, step)
	}
	return sess, nil
}

// slide renews a session's idle expiry and, for a v3 record, notes its use
// in the record, in one command: SET … XX only rewrites a record that is
// still there, so a session revoked meanwhile stays revoked. Nothing else
// rewrites a record, and the sealed session_key is copied as it is.
func (s *Store) slide(ctx context.Context, key string, sess *Session, now time.Time, ttl time.Duration) error {
	var err error
	if len(sess.ID) == idLen {
		seen := *sess
		seen.LastSeen = now
		err = s.rdb.SetArgs(ctx, key, seen.encode(), redis.SetArgs{Mode: "XX", TTL: ttl}).Err()
		if errors.Is(err, redis.Nil) { // gone meanwhile: the request was still in time
			err = nil
		}
	} else {
		err = s.rdb.PExpire(ctx, key, ttl).Err()
	}
	if err != nil {
		return fmt.Errorf("sessions: slide: %w", err)
	}
	return nil
}

// slides remembers when this node last renewed each legacy session's idle
// expiry (a v3 record says so itself: Get). Entries live two steps (two
// generations of maps); at most maxSlides are kept, beyond which a session
// is merely renewed again sooner. An entry is a fixed 24-byte key and 8
// bytes of time (unix nanoseconds).
type slides struct {
	mu        sync.Mutex
	cur, prev map[slideKey]int64
	rotated   time.Time
}

// slideKey names a session on this node: its tenant and the first 16
// bytes of its token's SHA-256 (its id, for a v3 session).
type slideKey struct {
	tenant int64
	id     [rawIDLen]byte
}

const maxSlides = 250_000

func (sl *slides) due(key slideKey, now time.Time, step time.Duration) bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	at, ok := sl.cur[key]
	if !ok {
		at, ok = sl.prev[key]
	}
	since := now.UnixNano() - at
	return !ok || since >= int64(step) || since < 0
}

func (sl *slides) note(key slideKey, now time.Time, step time.Duration) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.cur == nil || now.Sub(sl.rotated) >= step || len(sl.cur) >= maxSlides {
		sl.prev, sl.cur, sl.rotated = sl.cur, make(map[slideKey]int64), now
	}
	sl.cur[key] = now.UnixNano()
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
	sess.SessionKeySealed, sess.KeyID = s.keys.SealWithNonce(sessionKeyNonce(sess.ID), plain, sessionKeyAD(sess.TenantID, sess.ID, form))
	sess.keyForm = form
}

// SessionKey opens the WeChat session_key kept with a session; a session
// that has none (a web login) gives "".
func (s *Store) SessionKey(sess *Session) (string, error) {
	if sess.keyForm == keyNone {
		return "", nil
	}
	ad := sessionKeyAD(sess.TenantID, sess.ID, sess.keyForm)
	var plain []byte
	var err error
	if len(sess.ID) == idLen {
		plain, err = s.keys.OpenWithNonce(sessionKeyNonce(sess.ID), sess.SessionKeySealed, sess.KeyID, ad)
	} else { // a legacy record: nonce||ciphertext
		plain, err = s.keys.Open(sess.SessionKeySealed, sess.KeyID, ad)
	}
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
	pipe.HDel(ctx, s.userKey(tenantID, userID), indexField(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("sessions: revoke: %w", err)
	}
	return nil
}

// RevokeUser ends every session of a user, in O(sessions of the user).
func (s *Store) RevokeUser(ctx context.Context, tenantID, userID int64) (int, error) {
	ukey := s.userKey(tenantID, userID)
	fields, err := s.rdb.HKeys(ctx, ukey).Result()
	if err != nil {
		return 0, fmt.Errorf("sessions: revoke user: %w", err)
	}
	pipe := s.rdb.Pipeline()
	for _, f := range fields {
		pipe.Del(ctx, s.sessionKey(tenantID, idOfField(f)))
	}
	pipe.Del(ctx, ukey)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("sessions: revoke user: %w", err)
	}
	return len(fields), nil
}

// Info is what an admin may see of a session: never the token.
type Info struct {
	ID        string
	UserID    int64
	AppID     int64 // set by ListUsers
	UserEpoch int64 // set by ListUsers
	IssuedAt  time.Time
	IP        string
	UserAgent string    // a summary, e.g. "WeChat 8.0.50 iOS 17.5"
	LastSeen  time.Time // its last use, to within a slide step (the issue time for a legacy session)
	ExpiresIn time.Duration
	ExpiresAt time.Time // the absolute expiry; set by ListUsers
}

// ListUser returns the live sessions of a user and forgets dead ones: one
// round trip for the index, one pipelined for the records and their TTLs.
func (s *Store) ListUser(ctx context.Context, tenantID, userID int64) ([]Info, error) {
	ukey := s.userKey(tenantID, userID)
	all, err := s.rdb.HGetAll(ctx, ukey).Result()
	if err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	if len(all) == 0 {
		return nil, nil
	}
	type entry struct {
		field, id string
		rec       *redis.StringCmd // v3: the record (legacy: nil, the index has it)
		ttl       *redis.DurationCmd
	}
	entries := make([]entry, 0, len(all))
	pipe := s.rdb.Pipeline()
	for f := range all {
		e := entry{field: f, id: idOfField(f)}
		key := s.sessionKey(tenantID, e.id)
		if len(e.id) == idLen {
			e.rec = pipe.Get(ctx, key)
		}
		e.ttl = pipe.PTTL(ctx, key)
		entries = append(entries, e)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	var out []Info
	var dead []string
	for _, e := range entries {
		info := Info{ID: e.id, UserID: userID, ExpiresIn: e.ttl.Val()}
		switch {
		case info.ExpiresIn <= 0:
			dead = append(dead, e.field)
			continue
		case e.rec == nil:
			info.IssuedAt, info.IP, info.UserAgent = parseIndexEntry(all[e.field])
			info.LastSeen = info.IssuedAt
		default:
			v, err := e.rec.Result()
			if err != nil {
				dead = append(dead, e.field) // gone between the two reads
				continue
			}
			sess, err := decode(e.id, tenantID, v)
			if err != nil {
				return nil, err
			}
			info.IssuedAt, info.IP, info.UserAgent, info.LastSeen = sess.IssuedAt, sess.IP, sess.Device, sess.LastSeen
		}
		out = append(out, info)
	}
	if len(dead) > 0 {
		s.rdb.HDel(ctx, ukey, dead...) // best effort tidying
	}
	return out, nil
}

// parseIndexEntry reads a legacy session's index value, "issued|ip|device".
// Entries written before summaries hold the whole user agent (up to 200
// bytes); it is summarized here.
func parseIndexEntry(v string) (issued time.Time, ip, device string) {
	f := strings.SplitN(v, "|", 3)
	if len(f) != 3 {
		return time.Time{}, "", ""
	}
	sec, _ := strconv.ParseInt(f[0], 10, 64)
	return time.Unix(sec, 0), f[1], summarizeUA(f[2])
}

// sessionKeyNonce is the nonce that seals a v3 session's session_key: a
// hash of the session id, unique to the session as a random nonce would be.
// Nothing re-seals a record in place; a change of session_key is a new
// session, with a new id.
func sessionKeyNonce(id string) []byte {
	sum := sha256.Sum256([]byte("miniauth session-key nonce\x00" + id))
	return sum[:keyring.NonceSize]
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
