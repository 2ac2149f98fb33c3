package signin

import (
	"context"
	"errors"
	"fmt"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/wechat"
)

// ErrNicknameRejected: WeChat's content check found the nickname risky.
var ErrNicknameRejected = errors.New("signin: the nickname did not pass WeChat's content check")

// ErrNicknameUnchecked: the content check could not run and the tenant
// takes no unchecked nickname. It wraps the check's own failure.
var ErrNicknameUnchecked = errors.New("signin: the nickname content check did not run")

// errNoCheckable: the user has no mini-program openid to check a nickname
// under (msg_sec_check v2 takes one, of a user seen in the last 2 hours).
var errNoCheckable = errors.New("signin: no mini-program identity to run the content check under")

// ScreenNickname runs the tenant's nickname content check (WeChat's
// msg_sec_check v2, scene "profile") under the mini-program app and the
// user's openid there, when the tenant has the check on. Risky is
// ErrNicknameRejected; review passes, and the verdict returned is to be
// audited once the nickname is stored (AuditReview); a check that cannot
// run (app nil, openid "", WeChat down) passes or is ErrNicknameUnchecked
// as the tenant chose, and is logged either way.
func (s *Service) ScreenNickname(ctx context.Context, t *tenants.Tenant, app *tenants.App, openid, nick string) (*wechat.SecCheck, error) {
	if !t.Settings.NicknameCheckOn() || nick == "" {
		return nil, nil
	}
	var v wechat.SecCheck
	err := errNoCheckable
	if app != nil && openid != "" {
		err = s.cfg.Tokens.Do(ctx, s.TokenTarget(t, app), func(token string) error {
			var err error
			v, err = s.cfg.WeChat.MsgSecCheck(ctx, token, openid, wechat.SceneProfile, nick)
			return err
		})
	}
	if err != nil {
		open := t.Settings.NicknameCheckFailsOpen()
		s.cfg.Logger.Warn("nickname check did not run", "tenant", t.Slug, "fail_open", open, "err", err)
		if open {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrNicknameUnchecked, err)
	}
	switch v.Suggest {
	case wechat.SuggestRisky:
		s.cfg.Logger.Info("nickname rejected", "tenant", t.Slug, "label", v.Label, "trace_id", v.TraceID)
		return nil, ErrNicknameRejected
	case wechat.SuggestReview:
		return &v, nil
	}
	return nil, nil
}

// AuditReview records that user userID's stored nickname was let through
// on WeChat's "review" verdict v, for the tenant's moderators; nothing
// when v is nil. ip is the client's address.
func (s *Service) AuditReview(ctx context.Context, t *tenants.Tenant, userID, nick, ip string, v *wechat.SecCheck) {
	if v == nil {
		return
	}
	s.audit(ctx, audit.Entry{TenantID: t.ID,
		Actor: audit.Actor{Type: "user", ID: userID, IP: ip}, Action: "user.nickname_review",
		TargetType: "user", TargetID: userID,
		Details: map[string]any{"nickname": nick, "label": v.Label, "trace_id": v.TraceID}})
}
