package signin

import (
	"context"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

// Revocation says who ends a session and why: Reason goes to the
// session.revoked webhook ("logout", "admin"); an Actor other than the
// user is audited.
type Revocation struct {
	Reason string
	Actor  audit.Actor // zero for the user's own logout
}

// RevokeSession ends u's session id: first in MySQL, where the revocation
// outlives any Redis restored from an older snapshot (UserOf checks it),
// then in Redis. until is the session's absolute expiry, or a bound on it
// when the session itself is not at hand. The session is gone whatever
// happens to the webhook event or the audit entry: their failures are
// logged, not returned.
func (s *Service) RevokeSession(ctx context.Context, t *tenants.Tenant, u *users.User, id string, until time.Time, r Revocation) error {
	if err := s.cfg.Users.NoteRevoked(ctx, t.ID, u.ID, id, until); err != nil {
		return err
	}
	if err := s.cfg.Sessions.Revoke(ctx, t.ID, u.ID, id); err != nil {
		return err
	}
	if err := s.cfg.Webhooks.SessionRevoked(ctx, t.ID, u.PublicID, id, r.Reason); err != nil {
		s.cfg.Logger.Warn("session.revoked webhook not written", "tenant", t.Slug, "err", err)
	}
	if r.Actor.Type != "" {
		s.audit(ctx, audit.Entry{TenantID: t.ID, Actor: r.Actor, Action: "session.revoked",
			TargetType: "user", TargetID: u.PublicID, Details: map[string]any{"session": id[:min(8, len(id))]}})
	}
	return nil
}

// RevokeUser ends every session of u and returns how many were live. The
// epoch in MySQL is what keeps them revoked if Redis ever comes back from
// an older snapshot; deleting them frees Redis.
func (s *Service) RevokeUser(ctx context.Context, t *tenants.Tenant, u *users.User, actor audit.Actor) (int, error) {
	if err := s.cfg.Users.RevokeSessions(ctx, t.ID, u.ID); err != nil {
		return 0, err
	}
	n, err := s.cfg.Sessions.RevokeUser(ctx, t.ID, u.ID)
	if err != nil {
		return 0, err
	}
	s.audit(ctx, audit.Entry{TenantID: t.ID, Actor: actor, Action: "sessions.revoked_user",
		TargetType: "user", TargetID: u.PublicID, Details: map[string]any{"count": n}})
	return n, nil
}

// RevokeTenant ends every session of the tenant at once: an epoch bump in
// O(1), audited with the change, on every node as soon as the tenant's
// cached copies are dropped.
func (s *Service) RevokeTenant(ctx context.Context, t *tenants.Tenant, actor audit.Actor) error {
	return s.cfg.Tenants.RevokeAllSessions(ctx, t.ID, actor)
}
