package loginlog_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"miniauth/tenants/loginlog"
	"miniauth/tenants/tenantstest"
)

// newWriter is a Writer on db with cfg, its log in logs and its counters
// in reg; it is closed when the test ends.
func newWriter(t *testing.T, db *sqlx.DB, cfg loginlog.Config) (*loginlog.Writer, *tenantstest.SyncBuffer, *prometheus.Registry) {
	t.Helper()
	logs, reg := &tenantstest.SyncBuffer{}, prometheus.NewRegistry()
	cfg.Logger, cfg.Metrics = slog.New(slog.NewTextHandler(logs, nil)), reg
	w := loginlog.New(db, cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = w.Close(ctx)
	})
	return w, logs, reg
}

func rows(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM login_history `+query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond until it holds, failing the test after a
// generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20s: %s", what)
		}
	}
}

// dropped is the counter miniauth_login_history_dropped_total{reason}.
func dropped(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "miniauth_login_history_dropped_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A batch is written as soon as it is full, not before its interval when
// it is not: 25 entries in batches of 10 are 20 rows until a flush writes
// the last 5; List is newest first, limited, and gives back what was
// noted (an app of none as 0, the device and the way; over-long values
// clipped to their columns).
func TestWriterBatches(t *testing.T) {
	db, _ := tenantstest.DB(t)
	w, logs, _ := newWriter(t, db, loginlog.Config{FlushEvery: time.Hour, Batch: 10})
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 25 {
		e := loginlog.Entry{TenantID: 7, UserID: 42, At: base.Add(time.Duration(i) * time.Second), AppID: 3,
			IP: "203.0.113.9", Device: "iPhone · WeChat 8.0.50", Way: "miniprogram"}
		if i == 24 {
			e.AppID, e.Way, e.IP = 0, "sms", "2001:db8::1"
			e.Device = strings.Repeat("长", 70) // 70 characters, 210 bytes
		}
		w.Note(e)
	}
	eventually(t, "two full batches written", func() bool { return rows(t, db, "") == 20 })
	// The third batch waits for its interval (an hour) or a flush.
	if n := rows(t, db, ""); n != 20 {
		t.Fatalf("%d rows before the flush, want 20 (two batches of 10)", n)
	}
	if err := w.Flush(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, db, "WHERE tenant_id = 7 AND user_id = 42"); n != 25 {
		t.Fatalf("%d rows after the flush, want 25", n)
	}
	list, err := w.List(context.Background(), 7, 42, 3)
	if err != nil || len(list) != 3 {
		t.Fatalf("List = %d entries, %v", len(list), err)
	}
	newest := list[0]
	if !newest.At.Equal(base.Add(24*time.Second)) || newest.AppID != 0 || newest.Way != "sms" || newest.IP != "2001:db8::1" ||
		newest.Device != strings.Repeat("长", 64) {
		t.Fatalf("newest entry %+v", newest)
	}
	if l := list[1]; !l.At.Equal(base.Add(23*time.Second)) || l.AppID != 3 || l.Way != "miniprogram" ||
		l.IP != "203.0.113.9" || l.Device != "iPhone · WeChat 8.0.50" {
		t.Fatalf("second entry %+v", l)
	}
	for i := 1; i < len(list); i++ {
		if !list[i].At.Before(list[i-1].At) {
			t.Fatalf("not newest first: %+v", list)
		}
	}
	if all, err := w.List(context.Background(), 7, 42, 1000); err != nil || len(all) != 25 {
		t.Fatalf("List with a limit over MaxLimit = %d entries, %v; want all 25", len(all), err)
	}
	if other, err := w.List(context.Background(), 7, 43, 20); err != nil || len(other) != 0 {
		t.Fatalf("another user's history = %+v, %v", other, err)
	}
	if strings.Contains(logs.String(), "dropped") {
		t.Fatalf("dropped entries: %s", logs.String())
	}
}

// A batch that does not fill is written when its first entry has waited
// FlushEvery, without a flush.
func TestWriterFlushesOnItsInterval(t *testing.T) {
	db, _ := tenantstest.DB(t)
	w, _, _ := newWriter(t, db, loginlog.Config{FlushEvery: 50 * time.Millisecond})
	for i := range 3 {
		w.Note(loginlog.Entry{TenantID: 1, UserID: int64(i + 1), At: time.Now(), Way: "oauth"})
	}
	eventually(t, "3 rows written on the interval", func() bool { return rows(t, db, "") == 3 })
}

// Close writes what is queued, at once; a Flush after it returns, and a
// Note after it neither blocks nor panics.
func TestWriterCloseFlushes(t *testing.T) {
	db, _ := tenantstest.DB(t)
	w, _, _ := newWriter(t, db, loginlog.Config{FlushEvery: time.Hour})
	for i := range 7 {
		w.Note(loginlog.Entry{TenantID: 1, UserID: 5, At: time.Now().Add(time.Duration(i) * time.Millisecond), AppID: 1})
	}
	if err := w.Close(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, db, "WHERE user_id = 5"); n != 7 {
		t.Fatalf("%d rows after Close, want the 7 queued", n)
	}
	if err := w.Flush(ctx30(t)); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
	w.Note(loginlog.Entry{TenantID: 1, UserID: 5, At: time.Now()})
	if err := w.Close(ctx30(t)); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// A full queue drops what comes, counted and logged once, without
// blocking: the writer's goroutine is held in an INSERT on a locked table
// with one entry, the queue holds 4 more, the next 96 are dropped; what
// was queued is written once the table is free.
func TestWriterFullQueueDrops(t *testing.T) {
	db, _ := tenantstest.DB(t)
	ctx := ctx30(t)
	lock, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `LOCK TABLES login_history WRITE`); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = lock.ExecContext(context.Background(), `UNLOCK TABLES`)
		}
	}()
	w, logs, reg := newWriter(t, db, loginlog.Config{FlushEvery: time.Hour, Batch: 1, Queue: 4, InsertTimeout: time.Minute})
	w.Note(loginlog.Entry{TenantID: 1, UserID: 1, At: time.Now()})
	eventually(t, "the writer waits in its INSERT", func() bool {
		var n int
		if err := db.Get(&n, `SELECT COUNT(*) FROM information_schema.processlist
			WHERE db = DATABASE() AND info LIKE 'INSERT INTO login_history%'`); err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
	noted := make(chan struct{})
	go func() {
		defer close(noted)
		for i := range 100 {
			w.Note(loginlog.Entry{TenantID: 1, UserID: int64(2 + i), At: time.Now()})
		}
	}()
	select {
	case <-noted:
	case <-time.After(20 * time.Second):
		t.Fatal("Note blocked on a full queue")
	}
	if n := w.Dropped(); n != 96 {
		t.Fatalf("Dropped = %d, want 96 (100 noted, 4 queued)", n)
	}
	if n := dropped(t, reg, "queue_full"); n != 96 {
		t.Fatalf("the queue_full counter is %v, want 96", n)
	}
	if n := strings.Count(logs.String(), "login history queue full"); n < 1 || n > 2 {
		t.Fatalf("%d queue-full lines, want one a second at most:\n%s", n, logs.String())
	}
	if _, err := lock.ExecContext(ctx, `UNLOCK TABLES`); err != nil {
		t.Fatal(err)
	}
	locked = false
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, db, ""); n != 5 {
		t.Fatalf("%d rows, want the 1 being written and the 4 queued", n)
	}
}

// A failing MySQL costs the batch, with one log line and the
// insert_failed counter; the writer goes on once MySQL is back.
func TestWriterFailingDBDrops(t *testing.T) {
	db, dsn := tenantstest.DB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := tenantstest.NewProxy(t, cfg.Addr)
	cfg.Addr, cfg.Timeout = proxy.Addr(), 2*time.Second
	viaProxy := sqlx.MustOpen("mysql", cfg.FormatDSN())
	t.Cleanup(func() { viaProxy.Close() })
	w, logs, reg := newWriter(t, viaProxy, loginlog.Config{FlushEvery: time.Hour, InsertTimeout: 5 * time.Second})
	proxy.Down()
	for i := range 3 {
		w.Note(loginlog.Entry{TenantID: 1, UserID: int64(i + 1), At: time.Now(), IP: "198.51.100.7"})
	}
	if err := w.Flush(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "login history batch dropped"); n != 1 || !strings.Contains(logs.String(), "logins=3") {
		t.Fatalf("want one line for the batch of 3:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "198.51.100.7") {
		t.Fatalf("the log names the batch's addresses:\n%s", logs.String())
	}
	if n := dropped(t, reg, "insert_failed"); n != 3 {
		t.Fatalf("the insert_failed counter is %v, want 3", n)
	}
	proxy.Up(t)
	w.Note(loginlog.Entry{TenantID: 1, UserID: 9, At: time.Now()})
	if err := w.Flush(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if n, all := rows(t, db, "WHERE user_id = 9"), rows(t, db, ""); n != 1 || all != 1 {
		t.Fatalf("after MySQL came back: %d rows of the new login, %d in all; want 1 and 1 (the failed batch is gone)", n, all)
	}
}

// Prune deletes the rows older than the retention, PruneBatch at a time
// until none is left, and keeps the others.
func TestPruneRetention(t *testing.T) {
	db, _ := tenantstest.DB(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	w, _, _ := newWriter(t, db, loginlog.Config{Now: func() time.Time { return now }})
	old := now.Add(-loginlog.Retention - time.Hour)
	// More old rows than one DELETE takes: the prune loops.
	db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at) VALUES (1, 1, ?)`, old)
	for rows(t, db, "") < loginlog.PruneBatch+3 {
		db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at) SELECT tenant_id, user_id, at FROM login_history LIMIT ?`,
			loginlog.PruneBatch+3-rows(t, db, ""))
	}
	w.Note(loginlog.Entry{TenantID: 1, UserID: 1, At: now.Add(-loginlog.Retention + time.Hour)}) // just inside
	w.Note(loginlog.Entry{TenantID: 1, UserID: 2, At: now})
	if err := w.Flush(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	n, err := w.Prune(ctx30(t))
	if err != nil || n != loginlog.PruneBatch+3 {
		t.Fatalf("Prune = %d, %v; want %d", n, err, loginlog.PruneBatch+3)
	}
	if left := rows(t, db, ""); left != 2 {
		t.Fatalf("%d rows left, want the 2 within the retention", left)
	}
	if left := rows(t, db, "WHERE at < ?", now.Add(-loginlog.Retention)); left != 0 {
		t.Fatalf("%d old rows left", left)
	}
	if n, err := w.Prune(ctx30(t)); err != nil || n != 0 {
		t.Fatalf("Prune again = %d, %v; want 0", n, err)
	}
}

// The writer's goroutine prunes by itself, a DELETE a round, rounds
// following each other while there are old rows left.
func TestWriterPrunesByItself(t *testing.T) {
	db, _ := tenantstest.DB(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-loginlog.Retention - time.Minute)
	db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at) VALUES (1, 1, ?), (1, 2, ?)`, old, now)
	for rows(t, db, "WHERE at < ?", now) < loginlog.PruneBatch+1 {
		db.MustExec(`INSERT INTO login_history (tenant_id, user_id, at) SELECT tenant_id, user_id, at FROM login_history WHERE at < ? LIMIT ?`,
			now, loginlog.PruneBatch+1-rows(t, db, "WHERE at < ?", now))
	}
	newWriter(t, db, loginlog.Config{PruneEvery: 20 * time.Millisecond, Now: func() time.Time { return now }})
	eventually(t, "the old rows pruned in two rounds", func() bool { return rows(t, db, "WHERE at < ?", now) == 0 })
	if n := rows(t, db, ""); n != 1 {
		t.Fatalf("%d rows left, want the recent one", n)
	}
}
