// Package audit is the audit log: who did what to which tenant or user,
// when and from where. Changes write their entry in their own transaction
// (Record); the rest write it on its own (Log.RecordNow).
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Actor is who did something: an admin, the command line, the system, or a
// user of a tenant.
type Actor struct {
	Type string // "admin", "cli", "system", "user"
	ID   string
	IP   string
}

// CLI is the actor for changes made with the miniauth command.
var CLI = Actor{Type: "cli", ID: "miniauth"}

// Entry is one line of the audit log.
type Entry struct {
	TenantID   int64 // 0 for platform-wide events
	Actor      Actor
	Action     string // e.g. "tenant.created", "user.banned"
	TargetType string
	TargetID   string
	Details    map[string]any // never secrets
}

// idLen is the size, in characters, of audit_log's actor_id and
// target_id: an email fits whole.
const idLen = 254

// Record writes an entry with ex, normally inside the transaction of
// the change it describes, so that the log and the change commit together.
// Ids are made to fit their columns (fitID): strict mode would refuse the
// whole entry for one character too many or a broken one.
func Record(ctx context.Context, ex sqlx.ExecerContext, e Entry) error {
	actor := e.Actor
	if actor.Type == "" {
		actor = Actor{Type: "system"}
	}
	var details any
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("audit: details: %w", err)
		}
		details = b
	}
	var tenantID any
	if e.TenantID != 0 {
		tenantID = e.TenantID
	}
	_, err := ex.ExecContext(ctx,
		`INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, ip, details)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tenantID, actor.Type, fitID(actor.ID), e.Action, e.TargetType, fitID(e.TargetID), actor.IP, details)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// fitID returns s as valid UTF-8 cut to idLen characters, never
// inside one.
func fitID(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	n := 0
	for i := range s {
		if n == idLen {
			return s[:i]
		}
		n++
	}
	return s
}
