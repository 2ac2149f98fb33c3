package users

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/internal/flushloop"
)

// A returning user's login changes nothing but two times: the user's
// last_login_at and that of the identity it came through. Written at
// once, that is an UPDATE and a commit (a flush of InnoDB's log) per
// login, the larger part of MySQL's work for a returning login. Batched
// (WithBatchedTouches), a node writes the times of all its returning
// logins of the last Every in one statement and one commit.
//
// What it costs: a returning login's last_login_at shows in MySQL up to
// Every later (the session's own login time is never hidden: LastLogin),
// and the times of the last Every are lost if the process dies; the
// login history keeps every login all the same (tenants/loginlog). A
// user merged away or deleted meanwhile is simply not found by the
// UPDATE: the session just made names a user that is gone and is refused
// on its first use, as a session made before the change would be.
type touches struct {
	db  *sqlx.DB
	log *slog.Logger

	mu      sync.Mutex
	pending map[touchKey]time.Time // the latest login of each user and identity
	users   map[int64]time.Time    // the latest login of each user

	flushing sync.Mutex // one flush at a time: a read's, the loop's, Close's
	loop     *flushloop.Loop
}

type touchKey struct {
	tenantID, userID, appID int64
	openID                  string
}

const (
	touchBatch    = 256  // logins in one statement
	maxTouchWait  = 4096 // past this many waiting, a flush starts at once
	maxTouchQueue = 100_000
)

// WithBatchedTouches writes returning logins' times every every (200 ms
// when 0) instead of at each login; Close writes what waits. log hears of
// what could not be written.
func WithBatchedTouches(every time.Duration, log *slog.Logger) Option {
	return func(s *Store) {
		if every <= 0 {
			every = 200 * time.Millisecond
		}
		t := &touches{db: s.db, log: log, pending: map[touchKey]time.Time{}, users: map[int64]time.Time{}}
		t.loop = flushloop.Start(every, 10*time.Second, t.flush)
		s.touches = t
	}
}

// note queues a returning login of l's identity by userID at now; false
// when too many wait (the caller writes it at once).
func (t *touches) note(l Login, userID int64, now time.Time) bool {
	t.mu.Lock()
	if len(t.pending) >= maxTouchQueue {
		t.mu.Unlock()
		return false
	}
	k := touchKey{l.TenantID, userID, l.AppID, l.OpenID}
	if now.After(t.pending[k]) {
		t.pending[k] = now
	}
	if now.After(t.users[userID]) {
		t.users[userID] = now
	}
	full := len(t.pending) >= maxTouchWait
	t.mu.Unlock()
	if full {
		t.loop.Kick()
	}
	return true
}

// flush writes what waits, touchBatch logins a statement. Each statement
// joins the users (and, for a WeChat identity, the identity) to the
// batch's rows by id and tenant, and only ever moves a time forward: a
// login written by a transaction meanwhile is never set back.
func (t *touches) flush(ctx context.Context) error {
	t.flushing.Lock()
	defer t.flushing.Unlock()
	t.mu.Lock()
	pending, users, n := t.pending, t.users, len(t.pending)
	if n > 0 { // else pending is still the live map: not to be read unlocked
		t.pending, t.users = map[touchKey]time.Time{}, map[int64]time.Time{}
	}
	t.mu.Unlock()
	if n == 0 {
		return nil
	}
	var firstErr error
	rows, args := 0, make([]any, 0, 6*touchBatch)
	var q strings.Builder
	send := func() {
		if rows == 0 {
			return
		}
		stmt := `UPDATE users u JOIN (` + q.String() + `) v ON u.id = v.uid AND u.tenant_id = v.tid
			LEFT JOIN identities i ON v.oid <> '' AND i.app_id = v.app AND i.openid = v.oid AND i.tenant_id = v.tid AND i.user_id = v.uid
			SET u.last_login_at = GREATEST(COALESCE(u.last_login_at, v.ua), v.ua),
			    i.last_login_at = GREATEST(COALESCE(i.last_login_at, v.ia), v.ia)`
		if _, err := t.db.ExecContext(ctx, stmt, args...); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			t.log.Warn("last login times not written", "logins", rows, "err", err)
		}
		rows, args = 0, args[:0]
		q.Reset()
	}
	for k, at := range pending {
		if rows > 0 {
			q.WriteString(" UNION ALL ")
		}
		q.WriteString("SELECT ? AS uid, ? AS tid, ? AS app, ? AS oid, CAST(? AS DATETIME(3)) AS ua, CAST(? AS DATETIME(3)) AS ia")
		args = append(args, k.userID, k.tenantID, k.appID, k.openID, users[k.userID], at)
		if rows++; rows == touchBatch {
			send()
		}
	}
	send()
	return firstErr
}

func (t *touches) close(ctx context.Context) error {
	if err := t.loop.Stop(ctx); err != nil {
		return err
	}
	return t.flush(ctx)
}

// Close writes the returning logins' times still waiting (with
// WithBatchedTouches), stops their writer and closes the store's prepared
// statements.
func (s *Store) Close(ctx context.Context) error {
	for _, slot := range []*atomic.Pointer[sqlx.Stmt]{&s.stmts.identity, &s.stmts.hot} {
		if st := slot.Swap(nil); st != nil {
			defer st.Close()
		}
	}
	if s.touches == nil {
		return nil
	}
	return s.touches.close(ctx)
}

// FlushTouches writes the times waiting now, so that a read on this node
// that shows last logins sees its own; a failure is logged by the writer.
func (s *Store) FlushTouches(ctx context.Context) {
	if s.touches != nil {
		_ = s.touches.flush(ctx)
	}
}
