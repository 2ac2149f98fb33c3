// Package webhooks tells tenant backends what happened to their users.
// Events are written to an outbox in the transaction of the change they
// describe; a worker delivers them to the tenant's endpoints, signed with
// HMAC-SHA256 in the Standard Webhooks scheme, and retries with exponential
// backoff for a day. Endpoints on addresses that are not globally reachable
// (loopback, private, link-local and the other special-purpose blocks) are
// refused unless the platform allows them.
package webhooks

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Event types a tenant may subscribe to.
const (
	UserCreated    = "user.created"
	UserLogin      = "user.login"
	UserUpdated    = "user.updated"
	UserBanned     = "user.banned"
	UserDeleted    = "user.deleted"
	SessionRevoked = "session.revoked"
)

// Types lists every event type, in the order the console shows them.
var Types = []string{UserCreated, UserLogin, UserUpdated, UserBanned, UserDeleted, SessionRevoked}

// Errors of the webhooks domain.
var (
	ErrNotFound = errors.New("webhooks: not found")
	ErrRefused  = errors.New("webhooks: address refused") // SSRF protection said no
)

// Endpoint statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Endpoint is where a tenant wants some of its events sent.
type Endpoint struct {
	ID          int64     `db:"id" json:"id"`
	TenantID    int64     `db:"tenant_id" json:"-"`
	URL         string    `db:"url" json:"url"`
	Description string    `db:"description" json:"description"`
	EventsCSV   string    `db:"events" json:"-"`
	Status      string    `db:"status" json:"status"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// Events are the event types the endpoint subscribes to.
func (e *Endpoint) Events() []string { return strings.Split(e.EventsCSV, ",") }

const endpointColumns = `id, tenant_id, url, description, events, status, created_at, updated_at`

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event sent (or to be sent) to one endpoint, with what
// the endpoint answered last.
type Delivery struct {
	ID             int64     `db:"id" json:"id"`
	EndpointID     int64     `db:"endpoint_id" json:"endpoint_id"`
	EventID        string    `db:"event_id" json:"event_id"`
	EventType      string    `db:"event_type" json:"event_type"`
	Status         string    `db:"status" json:"status"`
	Attempts       int       `db:"attempts" json:"attempts"`
	NextAttemptAt  time.Time `db:"next_attempt_at" json:"next_attempt_at"`
	GiveUpAt       time.Time `db:"give_up_at" json:"give_up_at"`
	ResponseStatus *int      `db:"response_status" json:"response_status"`
	ResponseBody   *string   `db:"response_body" json:"response_body"`
	LastError      *string   `db:"last_error" json:"last_error"`
	DurationMS     *int      `db:"duration_ms" json:"duration_ms"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time `db:"updated_at" json:"updated_at"`
}

func validEvents(events []string) ([]string, bool) {
	if len(events) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if !slices.Contains(Types, e) {
			return nil, false
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, true
}
