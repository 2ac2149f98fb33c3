package users

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"miniauth/tenants/memo"
)

// The request path (GET /me, introspection, access tokens) needs a
// session's user on every request: whether it is banned, its session epoch,
// the sessions of its revoked one by one, its profile and its openids.
// With a cache (WithCache), that comes from the node's memory; every change
// this Store commits to a user drops the copy on every node (package memo)
// before the call returns to its caller here, and within milliseconds on
// the others.

// CacheConfig tunes the user cache.
type CacheConfig struct {
	TTL      time.Duration // how long a copy may live at most; default 2m
	MaxUsers int           // copies kept per node; default 50,000 (about 30 MB)
}

// WithCache makes the Store keep the request path's view of users in
// memory, invalidated through bus.
func WithCache(bus *memo.Bus, cfg CacheConfig) Option {
	if cfg.TTL <= 0 {
		cfg.TTL = 2 * time.Minute
	}
	if cfg.MaxUsers <= 0 {
		// A copy is about 600 bytes with its key: 50,000 users seen within
		// the TTL keep a node near 30 MB, and a node serving more active
		// users than that reads the others from MySQL (MINIAUTH_USER_CACHE_MAX).
		cfg.MaxUsers = 50_000
	}
	return func(s *Store) { s.cache = memo.NewCache[*hot](bus, "users", cfg.TTL, cfg.MaxUsers) }
}

// hot is a user as the request path sees it. Shared between requests:
// never modified once loaded.
type hot struct {
	user    User
	revoked []string    // ids of the user's sessions revoked one by one, sorted
	openids []appOpenID // per app, the openid of the identity that logged in last
}

// appOpenID is one app's openid of a user. A user has one to a few: a
// slice is a tenth of the memory of a map, searched as fast.
type appOpenID struct {
	app    int64
	openid string
}

// statuses are the users' statuses as constants, so that a cached user
// does not hold its own copy of the word read from MySQL.
var statuses = map[string]string{StatusActive: StatusActive, StatusBanned: StatusBanned}

func cacheKey(tenantID, userID int64) string {
	return strconv.FormatInt(tenantID, 10) + ":" + strconv.FormatInt(userID, 10)
}

// changed drops the copies of users (ids of 0 are skipped) after a change
// to them committed.
func (s *Store) changed(ctx context.Context, tenantID int64, ids ...int64) {
	if s.cache == nil {
		return
	}
	if len(ids) > 100 { // an import: cheaper to start over than to announce each
		s.cache.InvalidateAll(ctx)
		return
	}
	for _, id := range ids {
		if id != 0 {
			s.cache.Invalidate(ctx, cacheKey(tenantID, id))
		}
	}
}

// Invalidate drops the cached copies of users on every node. The Store
// does it after each change it makes; call it after a change made to the
// users table by other means (a test, a hand-made fix).
func (s *Store) Invalidate(ctx context.Context, tenantID int64, userIDs ...int64) {
	s.changed(ctx, tenantID, userIDs...)
}

// hotUser returns the request path's view of a user, from memory when the
// Store has a cache.
func (s *Store) hotUser(ctx context.Context, tenantID, userID int64) (*hot, error) {
	return s.cache.Get(ctx, cacheKey(tenantID, userID), func(ctx context.Context) (*hot, error) {
		return s.loadHot(ctx, tenantID, userID)
	})
}

// hotSQL reads a user with its revoked sessions and its identities: one
// row per (revoked session, identity) pair, which for real users is one to
// a few rows.
var hotSQL = `SELECT u.` + strings.ReplaceAll(userColumns, ", ", ", u.") + `,
		r.session_id AS revoked, i.app_id AS ident_app, i.openid AS ident_openid
		FROM users u
		LEFT JOIN revoked_sessions r ON r.tenant_id = u.tenant_id AND r.user_id = u.id AND r.expires_at > ?
		LEFT JOIN identities i ON i.tenant_id = u.tenant_id AND i.user_id = u.id
		WHERE u.id = ? AND u.tenant_id = ?
		ORDER BY i.last_login_at, i.id`

// loadHot reads a user with its revoked sessions and its identities in
// one query (hotSQL), prepared as a login's lookup is (byIdentity).
func (s *Store) loadHot(ctx context.Context, tenantID, userID int64) (*hot, error) {
	var rows []struct {
		User
		Revoked sql.NullString `db:"revoked"`
		App     sql.NullInt64  `db:"ident_app"`
		OpenID  sql.NullString `db:"ident_openid"`
	}
	var err error
	now := time.Now().UTC()
	if st := s.prepared(ctx, &s.stmts.hot, hotSQL); st != nil {
		err = st.SelectContext(ctx, &rows, now, userID, tenantID)
	} else {
		err = s.db.SelectContext(ctx, &rows, hotSQL, now, userID, tenantID)
	}
	if err != nil {
		return nil, fmt.Errorf("users: load: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	h := &hot{user: rows[0].User}
	if st, ok := statuses[h.user.Status]; ok {
		h.user.Status = st
	}
	for _, r := range rows {
		if r.Revoked.Valid {
			h.revoked = append(h.revoked, r.Revoked.String)
		}
		if r.App.Valid {
			h.setOpenID(r.App.Int64, r.OpenID.String) // rows come oldest login first: the last one wins
		}
	}
	slices.Sort(h.revoked)
	h.revoked = slices.Compact(h.revoked)
	return h, nil
}

// ForSession returns the user of a session and says whether that one
// session was revoked; ErrNotFound when the user is gone (a deleted user's
// sessions are invalid). The user is the caller's to keep.
func (s *Store) ForSession(ctx context.Context, tenantID, userID int64, sessionID string) (u *User, revoked bool, err error) {
	h, err := s.hotUser(ctx, tenantID, userID)
	if err != nil {
		return nil, false, err
	}
	_, revoked = slices.BinarySearch(h.revoked, sessionID)
	cp := h.user
	return &cp, revoked, nil
}

// LastLogin is when the user last logged in as far as a request of the
// session issued at issued can tell: a node's copy of the user may predate
// a plain login made on another node (those are not announced), never the
// session's own.
func LastLogin(u *User, issued time.Time) *time.Time {
	if u.LastLoginAt == nil || u.LastLoginAt.Before(issued) {
		t := issued.UTC()
		return &t
	}
	return u.LastLoginAt
}

// OpenIDOf returns the openid WeChat knows a user by in an app: the one of
// the identity that logged in last. ErrNotFound when the user has none
// there (one bound by phone or web OAuth only).
func (s *Store) OpenIDOf(ctx context.Context, tenantID, userID, appID int64) (string, error) {
	h, err := s.hotUser(ctx, tenantID, userID)
	if err != nil {
		return "", err
	}
	for _, o := range h.openids {
		if o.app == appID {
			return o.openid, nil
		}
	}
	return "", ErrNotFound
}

// setOpenID records the openid of the user in app, replacing the one it
// had there.
func (h *hot) setOpenID(app int64, openid string) {
	for i := range h.openids {
		if h.openids[i].app == app {
			h.openids[i].openid = openid
			return
		}
	}
	h.openids = append(h.openids, appOpenID{app, openid})
}
