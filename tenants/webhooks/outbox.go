package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// message is the body every delivery of an event carries, byte for byte:
// it is stored once, so that retries and replays send (and sign) the same.
type message struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Enqueue writes an event to the outbox with ex, which should be the
// transaction of the change the event describes: the event commits, or
// rolls back, with it. Nothing is written when no active endpoint of the
// tenant subscribes to typ.
func (s *Store) Enqueue(ctx context.Context, ex sqlx.ExtContext, tenantID int64, typ string, data any) error {
	var endpoints []int64
	if err := sqlx.SelectContext(ctx, ex, &endpoints, `SELECT id FROM webhook_endpoints
		WHERE tenant_id = ? AND status = 'active' AND FIND_IN_SET(?, events) > 0`, tenantID, typ); err != nil {
		return fmt.Errorf("webhooks: enqueue: %w", err)
	}
	if len(endpoints) == 0 {
		return nil
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	msg := message{ID: newEventID(), Type: typ, Timestamp: now, Data: data}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("webhooks: enqueue: %w", err)
	}
	res, err := ex.ExecContext(ctx, `INSERT INTO webhook_events (tenant_id, public_id, type, payload, created_at)
		VALUES (?, ?, ?, ?, ?)`, tenantID, msg.ID, typ, body, now)
	if err != nil {
		return fmt.Errorf("webhooks: enqueue: %w", err)
	}
	eventID, _ := res.LastInsertId()
	rows := make([]string, len(endpoints))
	args := make([]any, 0, 6*len(endpoints))
	for i, ep := range endpoints {
		rows[i] = "(?, ?, ?, ?, ?, ?)"
		args = append(args, tenantID, ep, eventID, now, now.Add(s.cfg.RetryFor), now)
	}
	if _, err := ex.ExecContext(ctx, `INSERT INTO webhook_deliveries
		(tenant_id, endpoint_id, event_id, next_attempt_at, give_up_at, created_at) VALUES `+strings.Join(rows, ", "),
		args...); err != nil {
		return fmt.Errorf("webhooks: enqueue: %w", err)
	}
	s.Wake()
	return nil
}

// Wake makes the worker look for due deliveries now rather than at its
// next poll.
func (s *Store) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// newEventID is "evt_" and 128 random bits, base64url.
func newEventID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("webhooks: crypto/rand failed: " + err.Error())
	}
	return "evt_" + base64.RawURLEncoding.EncodeToString(b[:])
}
