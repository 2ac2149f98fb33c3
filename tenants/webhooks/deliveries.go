package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// DeliveryQuery selects a page of a tenant's deliveries, newest first.
type DeliveryQuery struct {
	EndpointID int64  // 0: every endpoint
	Status     string // "": every status
	Before     int64  // delivery id of the last row of the previous page
	Limit      int
}

const deliveryColumns = `d.id, d.endpoint_id, v.public_id AS event_id, v.type AS event_type, d.status, d.attempts,
	d.next_attempt_at, d.give_up_at, d.response_status, d.response_body, d.last_error, d.duration_ms,
	d.created_at, d.updated_at`

// Deliveries lists deliveries with what the endpoint answered last.
func (s *Store) Deliveries(ctx context.Context, tenantID int64, q DeliveryQuery) ([]Delivery, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 50
	}
	if q.Status != "" && q.Status != DeliveryPending && q.Status != DeliverySucceeded && q.Status != DeliveryFailed {
		return nil, tenants.Invalid("status must be pending, succeeded or failed")
	}
	out := []Delivery{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id
		WHERE d.tenant_id = ? AND (? = 0 OR d.endpoint_id = ?) AND (? = '' OR d.status = ?) AND (? = 0 OR d.id < ?)
		ORDER BY d.id DESC LIMIT ?`,
		tenantID, q.EndpointID, q.EndpointID, q.Status, q.Status, q.Before, q.Before, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("webhooks: deliveries: %w", err)
	}
	return out, nil
}

// DeliveryDetail is a delivery with the body it sends.
type DeliveryDetail struct {
	Delivery
	Payload json.RawMessage `db:"payload" json:"payload"`
}

// Delivery loads one delivery of a tenant with its payload.
func (s *Store) Delivery(ctx context.Context, tenantID, id int64) (*DeliveryDetail, error) {
	var d DeliveryDetail
	err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+`, v.payload
		FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id
		WHERE d.id = ? AND d.tenant_id = ?`, id, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: delivery: %w", err)
	}
	return &d, nil
}

// Replay sends a delivery's event to its endpoint again, as a new delivery
// with a fresh day of retries. The event id stays the same.
func (s *Store) Replay(ctx context.Context, tenantID, id int64, actor audit.Actor) (*DeliveryDetail, error) {
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	var newID int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
			(tenant_id, endpoint_id, event_id, next_attempt_at, give_up_at, created_at)
			SELECT tenant_id, endpoint_id, event_id, ?, ?, ? FROM webhook_deliveries WHERE id = ? AND tenant_id = ?`,
			now, now.Add(s.cfg.RetryFor), now, id, tenantID)
		if err != nil {
			return fmt.Errorf("webhooks: replay: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		newID, _ = res.LastInsertId()
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.replayed", TargetType: "webhook_delivery", TargetID: strconv.FormatInt(id, 10),
			Details: map[string]any{"delivery": newID}})
	})
	if err != nil {
		return nil, err
	}
	s.Wake()
	return s.Delivery(ctx, tenantID, newID)
}

// Prune deletes events older than the retention period, with their
// deliveries, in batches, and returns how many events it deleted. Pending
// deliveries are never that old: they give up after RetryFor.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	cutoff := s.cfg.Now().UTC().Add(-s.cfg.Retention)
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM webhook_events WHERE created_at < ? ORDER BY id LIMIT 1000`, cutoff)
		if err != nil {
			return total, fmt.Errorf("webhooks: prune: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 1000 {
			return total, nil
		}
	}
}
