package users

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Types of the events a user change reports.
const (
	EventCreated = "user.created"
	EventLogin   = "user.login"
	EventUpdated = "user.updated"
	EventBanned  = "user.banned"
	EventDeleted = "user.deleted"
)

// Event is a change to a user that the tenant's backends may want to hear
// about (webhooks).
type Event struct {
	Type     string
	TenantID int64
	User     User   // as it is after the change (before it, for user.deleted)
	OpenID   string // the identity that logged in, for user.created and user.login
}

// EventSink hears of user changes inside the transaction that makes them,
// so that what it writes (an outbox row) commits or rolls back with the
// change. An error from it fails the change.
type EventSink interface {
	UserEvent(ctx context.Context, tx *sqlx.Tx, e Event) error
}

// Listener is an EventSink that can tell whether anyone hears an event
// type at all, so that a login nobody listens to needs no transaction.
type Listener interface {
	Listens(ctx context.Context, tenantID int64, typ string) (bool, error)
}

// listens reports whether the store's sink may want events of typ.
func (s *Store) listens(ctx context.Context, tenantID int64, typ string) (bool, error) {
	if s.events == nil {
		return false, nil
	}
	l, ok := s.events.(Listener)
	if !ok {
		return true, nil
	}
	return l.Listens(ctx, tenantID, typ)
}

// WithEvents makes the store report its changes to sink, in the
// transaction of each change.
func WithEvents(sink EventSink) Option { return func(s *Store) { s.events = sink } }

func (s *Store) emit(ctx context.Context, tx *sqlx.Tx, typ string, u *User, openid string) error {
	if s.events == nil || u == nil {
		return nil
	}
	return s.events.UserEvent(ctx, tx, Event{Type: typ, TenantID: u.TenantID, User: *u, OpenID: openid})
}

// emitLogin reports a login, and the registration it made, if any.
func (s *Store) emitLogin(ctx context.Context, tx *sqlx.Tx, u *User, created bool, openid string) error {
	if created {
		if err := s.emit(ctx, tx, EventCreated, u, openid); err != nil {
			return err
		}
	}
	return s.emit(ctx, tx, EventLogin, u, openid)
}
