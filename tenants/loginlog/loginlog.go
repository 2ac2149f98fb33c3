// Package loginlog is the users' login history, in MySQL (table
// login_history, docs/performance.md, "Login history in MySQL"). The
// sign-in core notes every login that worked; a Writer queues it and one
// goroutine writes the queue in multi-row INSERTs, so that a login waits
// for neither MySQL nor its neighbours. The history is best effort: a full
// queue or a failed INSERT drops entries (counted, logged) and never fails
// a login, and a crash loses what was queued, at most FlushEvery of
// logins.
package loginlog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
)

// Retention is how long the history keeps a login (docs/performance.md):
// older rows are deleted about once an hour, PruneBatch a round and a
// round a second while there are more.
const Retention = 90 * 24 * time.Hour

// The defaults of Config.
const (
	DefaultFlushEvery    = 200 * time.Millisecond
	DefaultBatch         = 256
	DefaultQueue         = 8192
	DefaultPruneEvery    = time.Hour
	DefaultInsertTimeout = 5 * time.Second
	// PruneBatch is how many old rows one DELETE removes: small enough that
	// it holds its locks briefly.
	PruneBatch = 5000
)

// MaxLimit is the most entries List returns.
const MaxLimit = 100

// Entry is one login.
type Entry struct {
	TenantID int64
	UserID   int64
	At       time.Time
	AppID    int64  // the app's row id; 0: none (SMS, for one)
	IP       string // at most 45 characters are kept
	Device   string // the summarized user agent; at most 64 characters are kept
	Way      string // stats.Way of the sign-in; at most 16 characters are kept
}

// Config tunes a Writer; the zero value of each field is its default.
type Config struct {
	FlushEvery time.Duration // the longest an entry waits in the queue; DefaultFlushEvery
	Batch      int           // entries per INSERT, written as soon as there are this many; DefaultBatch
	Queue      int           // entries waiting at most; more are dropped; DefaultQueue
	PruneEvery time.Duration // how often rows older than Retention are deleted; DefaultPruneEvery
	Retention  time.Duration // Retention
	// InsertTimeout bounds one batch's INSERT, so that a stalled MySQL
	// costs the history that batch, not the queue behind it for ever;
	// DefaultInsertTimeout.
	InsertTimeout time.Duration
	Logger        *slog.Logger // nil: slog.Default()
	// Metrics, when set, gets miniauth_login_history_dropped_total.
	Metrics prometheus.Registerer
	// Now is the clock of the retention; nil: time.Now.
	Now func() time.Time
}

// Writer queues logins and writes them in batches. Note and List are safe
// for concurrent use.
type Writer struct {
	db      *sqlx.DB
	cfg     Config
	log     *slog.Logger
	queue   chan Entry
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	dropped     *prometheus.CounterVec
	droppedFull atomic.Int64
	lastFullLog atomic.Int64 // unix seconds of the last "queue full" line
}

// New returns a Writer on db and starts its goroutine, which runs until
// Close.
func New(db *sqlx.DB, cfg Config) *Writer {
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = DefaultFlushEvery
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.PruneEvery <= 0 {
		cfg.PruneEvery = DefaultPruneEvery
	}
	if cfg.Retention <= 0 {
		cfg.Retention = Retention
	}
	if cfg.InsertTimeout <= 0 {
		cfg.InsertTimeout = DefaultInsertTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Writer{db: db, cfg: cfg, log: cfg.Logger,
		queue: make(chan Entry, cfg.Queue), flushes: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_login_history_dropped_total",
			Help: "Logins left out of the login history: the queue was full, or their batch's INSERT failed.",
		}, []string{"reason"})}
	if w.log == nil {
		w.log = slog.Default()
	}
	if cfg.Metrics != nil {
		cfg.Metrics.MustRegister(w.dropped)
	}
	go w.run()
	return w
}

// Note queues a login. It never blocks: when the queue is full the entry
// is dropped, counted and logged (one line a second at most).
func (w *Writer) Note(e Entry) {
	select {
	case w.queue <- e:
	default:
		w.dropped.WithLabelValues("queue_full").Inc()
		n := w.droppedFull.Add(1)
		now := time.Now().Unix()
		if last := w.lastFullLog.Load(); now > last && w.lastFullLog.CompareAndSwap(last, now) {
			w.log.Warn("login history queue full, logins dropped", "dropped_total", n)
		}
	}
}

// Dropped is how many logins a full queue dropped since New.
func (w *Writer) Dropped() int64 { return w.droppedFull.Load() }

// Flush writes what is queued now and returns when it is written (or
// dropped, if MySQL refused it), or when ctx ends. Tests read the history
// after it; a login never calls it.
func (w *Writer) Flush(ctx context.Context) error {
	req := make(chan struct{})
	select {
	case w.flushes <- req:
	case <-w.done:
		return nil // closed: Close wrote what there was
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued and stops the goroutine; serve calls it once
// the API has stopped taking requests. Entries noted after Close stay
// queued, unwritten. It returns ctx's error if the writing outlasts ctx.
func (w *Writer) Close(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the Writer's goroutine: it batches the queue, flushing a batch
// when it is full or its first entry has waited FlushEvery, and prunes.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]Entry, 0, w.cfg.Batch)
	ins := &inserter{}
	timer := time.NewTimer(w.cfg.FlushEvery)
	timer.Stop()
	prune := time.NewTimer(w.cfg.PruneEvery)
	defer prune.Stop()
	write := func() {
		if len(batch) > 0 {
			w.insert(ins, batch)
			batch = batch[:0]
		}
		timer.Stop()
	}
	// drain writes what is queued now, in full batches and the rest; what
	// comes meanwhile waits for the next round, so that a busy node's
	// flush ends.
	drain := func() {
		for n := len(w.queue); n > 0; n-- {
			if batch = append(batch, <-w.queue); len(batch) >= w.cfg.Batch {
				write()
			}
		}
		write()
	}
	for {
		select {
		case e := <-w.queue:
			batch = append(batch, e)
			if len(batch) == 1 {
				timer.Reset(w.cfg.FlushEvery)
			}
			if len(batch) >= w.cfg.Batch {
				write()
			}
		case <-timer.C:
			write()
		case req := <-w.flushes:
			drain()
			close(req)
		case <-prune.C:
			// One DELETE a round, the queue's batches written in between: a
			// backlog of old rows is worked off a round a second.
			next := w.cfg.PruneEvery
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if n, err := w.pruneOnce(ctx); err != nil {
				w.log.Warn("login history pruning failed", "err", err)
			} else if n == PruneBatch {
				next = time.Second
			}
			cancel()
			prune.Reset(next)
		case <-w.stop:
			drain()
			return
		}
	}
}

// insert writes batch in one statement; a failure drops it with one log
// line.
func (w *Writer) insert(ins *inserter, batch []Entry) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.InsertTimeout)
	defer cancel()
	query, args := ins.build(batch)
	if _, err := w.db.ExecContext(ctx, query, args...); err != nil {
		w.dropped.WithLabelValues("insert_failed").Add(float64(len(batch)))
		w.log.Warn("login history batch dropped", "logins", len(batch), "err", err)
	}
}

// inserter builds the batches' INSERTs, reusing its buffers.
type inserter struct {
	sb   strings.Builder
	args []any
}

const insertHead = `INSERT INTO login_history (tenant_id, user_id, at, app_id, ip, device, way) VALUES `

func (b *inserter) build(batch []Entry) (string, []any) {
	b.sb.Reset()
	b.sb.Grow(len(insertHead) + len(batch)*len("(?, ?, ?, ?, ?, ?, ?), "))
	b.sb.WriteString(insertHead)
	b.args = b.args[:0]
	for i, e := range batch {
		if i > 0 {
			b.sb.WriteString(", ")
		}
		b.sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		var app any
		if e.AppID != 0 {
			app = e.AppID
		}
		b.args = append(b.args, e.TenantID, e.UserID, e.At.UTC(), app, clip(e.IP, 45), clip(e.Device, 64), clip(e.Way, 16))
	}
	return b.sb.String(), b.args
}

// clip keeps the first n characters of s, as the column holds them.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Login is one login as the history keeps it.
type Login struct {
	At     time.Time `db:"at"`
	AppID  int64     `db:"app_id"` // 0: none
	IP     string    `db:"ip"`
	Device string    `db:"device"`
	Way    string    `db:"way"`
}

// List returns the user's last limit logins (at most MaxLimit), newest
// first. A login still queued is not there yet.
func (w *Writer) List(ctx context.Context, tenantID, userID int64, limit int) ([]Login, error) {
	limit = min(max(limit, 1), MaxLimit)
	out := make([]Login, 0, min(limit, 20))
	if err := w.db.SelectContext(ctx, &out, `SELECT at, COALESCE(app_id, 0) AS app_id, ip, device, way
		FROM login_history WHERE tenant_id = ? AND user_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
		tenantID, userID, limit); err != nil {
		return nil, fmt.Errorf("loginlog: list: %w", err)
	}
	return out, nil
}

// Prune deletes the rows older than the retention, PruneBatch at a time,
// and returns how many went. The Writer's goroutine does the same, a
// DELETE a round.
func (w *Writer) Prune(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := w.pruneOnce(ctx)
		total += n
		if err != nil || n < PruneBatch {
			return total, err
		}
	}
}

// pruneOnce deletes at most PruneBatch rows older than the retention.
func (w *Writer) pruneOnce(ctx context.Context) (int64, error) {
	cutoff := w.cfg.Now().Add(-w.cfg.Retention).UTC()
	res, err := w.db.ExecContext(ctx, `DELETE FROM login_history WHERE at < ? LIMIT ?`, cutoff, PruneBatch)
	if err != nil {
		return 0, fmt.Errorf("loginlog: prune: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
