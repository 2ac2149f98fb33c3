package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Log reads and writes the audit log on its own, outside other changes.
type Log struct{ db *sqlx.DB }

// NewLog returns the audit log kept in db.
func NewLog(db *sqlx.DB) *Log { return &Log{db: db} }

// Line is a stored audit log line.
type Line struct {
	ID         int64     `db:"id" json:"id"`
	TenantID   *int64    `db:"tenant_id" json:"-"`
	ActorType  string    `db:"actor_type" json:"actor_type"`
	ActorID    string    `db:"actor_id" json:"actor_id"`
	Action     string    `db:"action" json:"action"`
	TargetType string    `db:"target_type" json:"target_type"`
	TargetID   string    `db:"target_id" json:"target_id"`
	IP         string    `db:"ip" json:"ip"`
	Details    []byte    `db:"details" json:"-"` // JSON object or nil
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// Filter selects audit lines, newest first. TenantID 0 with AllTenants
// false means platform-wide lines only.
type Filter struct {
	TenantID   int64
	AllTenants bool
	Action     string // exact, or a prefix ending in "." such as "user."
	Actor      string
	TargetID   string
	Before     int64     // keyset cursor: lines with a smaller id
	From, To   time.Time // created_at in [From, To); zero: unbounded
	Limit      int
}

// List returns the audit lines matching f, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Line, error) {
	where, args := []string{"1 = 1"}, []any{}
	switch {
	case f.TenantID != 0:
		where, args = append(where, "tenant_id = ?"), append(args, f.TenantID)
	case !f.AllTenants:
		where = append(where, "tenant_id IS NULL")
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "action LIKE ?"), append(args, escapeLike(f.Action)+"%")
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.Actor != "" {
		where, args = append(where, "actor_id = ?"), append(args, f.Actor)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, f.To.UTC())
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args = append(args, f.Limit)
	var out []Line
	err := l.db.SelectContext(ctx, &out,
		`SELECT id, tenant_id, actor_type, actor_id, action, target_type, target_id, ip, details, created_at
		 FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}

// RecordNow writes an entry outside any other change (sign-in
// failures, revocations that live in Redis).
func (l *Log) RecordNow(ctx context.Context, e Entry) error {
	return Record(ctx, l.db, e)
}

// escapeLike quotes LIKE's wildcards in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
