package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// Ping is the type of the test event an admin sends to one endpoint. No
// endpoint subscribes to it; it goes only where it is sent.
const Ping = "ping"

// pingData is what a ping carries: enough for the receiver to tell which
// of its endpoints was meant.
type pingData struct {
	WebhookID int64  `json:"webhook_id"`
	URL       string `json:"url"`
}

// Ping queues a "ping" event for one endpoint of the tenant: a real
// delivery, signed, retried and listed like any other. It answers the
// queued delivery; the worker sends it at once.
func (s *Store) Ping(ctx context.Context, tenantID, endpointID int64, actor audit.Actor) (*DeliveryDetail, error) {
	ep, err := s.Endpoint(ctx, tenantID, endpointID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	msg := message{ID: newEventID(), Type: Ping, Timestamp: now, Data: pingData{WebhookID: ep.ID, URL: ep.URL}}
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("webhooks: ping: %w", err)
	}
	var deliveryID int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (tenant_id, public_id, type, payload, created_at)
			VALUES (?, ?, ?, ?, ?)`, tenantID, msg.ID, Ping, body, now)
		if err != nil {
			return fmt.Errorf("webhooks: ping: %w", err)
		}
		eventID, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
			(tenant_id, endpoint_id, event_id, next_attempt_at, give_up_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tenantID, ep.ID, eventID, now, now.Add(s.cfg.RetryFor), now)
		if err != nil {
			return fmt.Errorf("webhooks: ping: %w", err)
		}
		deliveryID, _ = res.LastInsertId()
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "webhook.pinged", TargetType: "webhook", TargetID: strconv.FormatInt(ep.ID, 10),
			Details: map[string]any{"delivery": deliveryID}})
	})
	if err != nil {
		return nil, err
	}
	s.Wake()
	return s.Delivery(ctx, tenantID, deliveryID)
}
