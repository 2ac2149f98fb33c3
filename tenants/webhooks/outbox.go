package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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
	endpoints, err := s.subscribers(ctx, ex, tenantID, typ)
	if err != nil {
		return err
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

// subscribers are the ids of the tenant's active endpoints taking typ.
// Inside a transaction (q is it) they come from memory or are read with
// q: a second connection could be one the pool no longer has, while every
// connection is a transaction waiting for this read. Outside one (q is
// nil), a miss is read and kept.
func (s *Store) subscribers(ctx context.Context, q sqlx.QueryerContext, tenantID int64, typ string) ([]int64, error) {
	key := strconv.FormatInt(tenantID, 10)
	subs, ok := s.subs.Peek(key)
	var err error
	switch {
	case ok:
	case q != nil:
		subs, err = loadSubscribers(ctx, q, tenantID)
	default:
		subs, err = s.subs.Get(ctx, key, func(ctx context.Context) ([]subscriber, error) {
			return loadSubscribers(ctx, s.db, tenantID)
		})
	}
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, sub := range subs {
		if slices.Contains(sub.events, typ) {
			ids = append(ids, sub.id)
		}
	}
	return ids, nil
}

func loadSubscribers(ctx context.Context, q sqlx.QueryerContext, tenantID int64) ([]subscriber, error) {
	var rows []struct {
		ID     int64  `db:"id"`
		Events string `db:"events"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, events FROM webhook_endpoints
		WHERE tenant_id = ? AND status = 'active' ORDER BY id`, tenantID); err != nil {
		return nil, fmt.Errorf("webhooks: subscribers: %w", err)
	}
	out := make([]subscriber, len(rows))
	for i, r := range rows {
		out[i] = subscriber{id: r.ID, events: strings.Split(r.Events, ",")}
	}
	return out, nil
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

// Listens reports whether any active endpoint of the tenant takes typ
// (users.Listener): a login nobody listens to needs no outbox row. Call it
// outside any transaction; it keeps what it read.
func (s *Store) Listens(ctx context.Context, tenantID int64, typ string) (bool, error) {
	ids, err := s.subscribers(ctx, nil, tenantID, typ)
	return len(ids) > 0, err
}
