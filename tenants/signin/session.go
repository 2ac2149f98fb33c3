package signin

import (
	"context"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
)

// Authenticate checks a session token against the tenant t, and returns
// the session with its user. limit, when set, runs between the two (the
// session's own request budget: the HTTP layer's business). A token of
// another tenant is simply unknown here (sessions.ErrNotFound), as is one
// not well formed.
func (s *Service) Authenticate(ctx context.Context, t *tenants.Tenant, token string, limit func(sessionID string) error) (*sessions.Session, *users.User, error) {
	if !sessions.WellFormed(token) {
		return nil, nil, sessions.ErrNotFound
	}
	sess, err := s.cfg.Sessions.Get(ctx, t.ID, token, s.policy(t))
	if err != nil {
		return nil, nil, err
	}
	if limit != nil {
		if err := limit(sess.ID); err != nil {
			return nil, nil, err
		}
	}
	u, err := s.UserOf(ctx, t, sess)
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// Session returns the live session of t's token, without its user
// (introspection checks the user with UserOf).
func (s *Service) Session(ctx context.Context, t *tenants.Tenant, token string) (*sessions.Session, error) {
	return s.cfg.Sessions.Get(ctx, t.ID, token, s.policy(t))
}

// SessionByID returns t's live session id: the one an access token came
// from, whose life it shares.
func (s *Service) SessionByID(ctx context.Context, t *tenants.Tenant, id string) (*sessions.Session, error) {
	return s.cfg.Sessions.ByID(ctx, t.ID, id, s.policy(t))
}

func (s *Service) policy(t *tenants.Tenant) sessions.Policy {
	return sessions.Policy{Idle: t.Settings.SessionIdle(), TenantEpoch: t.SessionEpoch}
}

// UserOf returns the user of a live session, or sessions.ErrNotFound when
// the session was revoked since (one by one, or all of the user's) and
// users.ErrBanned when its user is banned. A deleted user's session is
// invalid too.
func (s *Service) UserOf(ctx context.Context, t *tenants.Tenant, sess *sessions.Session) (*users.User, error) {
	u, revoked, err := s.cfg.Users.ForSession(ctx, t.ID, sess.UserID, sess.ID)
	switch {
	case err != nil:
		return nil, err
	case revoked, sess.UserEpoch < u.SessionEpoch:
		return nil, sessions.ErrNotFound
	case u.Banned():
		return nil, users.ErrBanned
	}
	return u, nil
}
