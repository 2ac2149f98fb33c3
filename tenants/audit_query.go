package tenants

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditRecord is a stored audit log line.
type AuditRecord struct {
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

// AuditFilter selects audit lines, newest first. TenantID 0 with AllTenants
// false means platform-wide lines only.
type AuditFilter struct {
	TenantID   int64
	AllTenants bool
	Action     string // exact, or a prefix ending in "." such as "user."
	Actor      string
	TargetID   string
	Before     int64 // keyset cursor: lines with a smaller id
	Limit      int
}

// Audit lists audit lines matching f, newest first.
func (r *Registry) Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
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
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args = append(args, f.Limit)
	var out []AuditRecord
	err := r.db.SelectContext(ctx, &out,
		`SELECT id, tenant_id, actor_type, actor_id, action, target_type, target_id, ip, details, created_at
		 FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("tenants: audit list: %w", err)
	}
	return out, nil
}

// RecordAuditNow writes an entry outside any other change (sign-in
// failures, revocations that live in Redis).
func (r *Registry) RecordAuditNow(ctx context.Context, e AuditEntry) error {
	return RecordAudit(ctx, r.db, e)
}

// escapeLike quotes LIKE's wildcards in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
