package signin

import (
	"context"

	"miniauth/tenants"
	"miniauth/tenants/stats"
)

// The tenant's charts of use (tenants/stats) hear of every way in here:
// Enter counts each login that worked (a new user when it registered
// one), so a new way in is counted by calling Enter; a way-in method
// counts its refusal by cause with one deferred call of refused. Counting
// never fails a login: a Redis error is a warning in the log.

// counted records a way in that worked. The way is the Entry's, or else
// the one its app's kind implies (a sign-up with a ticket comes back
// through Enter without naming its way).
func (s *Service) counted(ctx context.Context, t *tenants.Tenant, way stats.Way, appID int64, in *Entered) {
	if s.cfg.Stats == nil {
		return
	}
	kind := stats.KindLogin
	if in.Created {
		kind = stats.KindNewUser
	}
	if way == "" {
		way = wayOfApp(t, appID)
	}
	s.cfg.Stats.RecordOrLog(ctx, s.cfg.Logger, stats.Event{TenantID: t.ID, AppID: appID, Way: way, Kind: kind, UserID: in.User.ID})
}

// refused records a way in that failed with err, by the documented error
// code the client is answered (Config.Cause); nil err records nothing. It
// is meant to be deferred by each way-in method over its named error.
// The count survives the request's own end: a timeout is a failure worth
// counting.
func (s *Service) refused(ctx context.Context, t *tenants.Tenant, way stats.Way, appID int64, err error) {
	if err == nil || s.cfg.Stats == nil {
		return
	}
	cause := ""
	if s.cfg.Cause != nil {
		cause = s.cfg.Cause(err)
	}
	s.cfg.Stats.RecordOrLog(context.WithoutCancel(ctx), s.cfg.Logger,
		stats.Event{TenantID: t.ID, AppID: appID, Way: way, Kind: stats.KindFailed, Cause: cause})
}

// Refused records a refusal that happened before a way in was reached
// (the HTTP layer's rate budgets); see refused.
func (s *Service) Refused(ctx context.Context, t *tenants.Tenant, way stats.Way, err error) {
	s.refused(ctx, t, way, 0, err)
}

// wayOfApp is the way in an app's kind implies; "" for no app, which
// the counter refuses (and logs) rather than guessing.
func wayOfApp(t *tenants.Tenant, appID int64) stats.Way {
	app, err := t.AppByID(appID)
	if err != nil {
		return ""
	}
	switch app.Kind {
	case tenants.KindMiniProgram:
		return stats.WayMiniProgram
	case tenants.KindOfficialAccount:
		return stats.WayOAuth
	case tenants.KindMobileApp:
		return stats.WayApp
	case tenants.KindWebsite:
		return stats.WayWebsite
	}
	return ""
}

// mobileAppID is the row id of the mobile app a WeChat app login names
// (0 when it names none of the tenant's).
func mobileAppID(t *tenants.Tenant, appid string) int64 {
	if app, err := t.MobileApp(appid); err == nil {
		return app.ID
	}
	return 0
}
