package api

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/wechat"
)

// errNoCheckable: the user has no mini-program openid to check a nickname
// under (msg_sec_check v2 takes one, of a user seen in the last 2 hours).
var errNoCheckable = errors.New("api: no mini-program identity to run the content check under")

// clientAvatarURL checks an avatar URL a client hands in: https, or one of
// the product's own avatar URLs of this tenant (which are http on a
// development PUBLIC_URL). WeChat's temporary paths (http://tmp/…) are
// local to the phone: upload the file to /me/avatar instead.
func (s *Server) clientAvatarURL(c *fiber.Ctx, u string) error {
	if u == "" || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, s.avatarURLPrefix(tenantOf(c))) {
		return nil
	}
	return badRequest("avatar_url must be an https URL; upload a chosen avatar to /me/avatar")
}

// nicknameTarget is the mini-program and openid a nickname is checked
// under: the session's, else the user's identity in the default
// mini-program; nil when the user has none.
func (s *Server) nicknameTarget(c *fiber.Ctx) (*tenants.App, string) {
	ctx, t, sess := c.UserContext(), tenantOf(c), sessionOf(c)
	app, err := t.AppByID(sess.AppID)
	if err != nil || app.Kind != tenants.KindMiniProgram {
		if app, err = t.MiniProgram(""); err != nil {
			return nil, ""
		}
	}
	id, err := s.deps.Users.IdentityOf(ctx, t.ID, sess.UserID, app.ID)
	if err != nil {
		return nil, ""
	}
	return app, id.OpenID
}

// screenNickname runs the tenant's nickname content check (WeChat's
// msg_sec_check v2, scene "profile") when the tenant has it on: risky is
// 422 nickname_rejected; review passes, and the verdict returned is to be
// audited once the nickname is stored (auditReview); a check that cannot
// run passes or fails as the tenant chose, and is logged either way.
func (s *Server) screenNickname(c *fiber.Ctx, app *tenants.App, openid, nick string) (*wechat.SecCheck, error) {
	ctx, t := c.UserContext(), tenantOf(c)
	if !t.Settings.NicknameCheckOn() || nick == "" {
		return nil, nil
	}
	var v wechat.SecCheck
	err := errNoCheckable
	if app != nil && openid != "" {
		err = s.deps.Tokens.Do(ctx, s.tokenTarget(t, app), func(token string) error {
			var err error
			v, err = s.deps.WeChat.MsgSecCheck(ctx, token, openid, wechat.SceneProfile, nick)
			return err
		})
	}
	if err != nil {
		open := t.Settings.NicknameCheckFailsOpen()
		s.log.Warn("nickname check did not run", "request_id", requestIDOf(c), "tenant", t.Slug,
			"fail_open", open, "err", err)
		if open {
			return nil, nil
		}
		return nil, &Error{Status: 502, Code: CodeWeChatUnavailable, cause: err,
			Message: "WeChat's content check did not answer and this tenant takes no unchecked nickname; try again later"}
	}
	switch v.Suggest {
	case wechat.SuggestRisky:
		s.log.Info("nickname rejected", "request_id", requestIDOf(c), "tenant", t.Slug, "label", v.Label, "trace_id", v.TraceID)
		return nil, &Error{Status: 422, Code: CodeNicknameRejected, Message: "this nickname did not pass WeChat's content check; choose another"}
	case wechat.SuggestReview:
		return &v, nil
	}
	return nil, nil
}

// auditReview records that a stored nickname was let through on WeChat's
// "review" verdict, for the tenant's moderators; nothing when v is nil.
func (s *Server) auditReview(c *fiber.Ctx, userID, nick string, v *wechat.SecCheck) {
	if v == nil {
		return
	}
	t := tenantOf(c)
	err := s.deps.Audit.RecordNow(c.UserContext(), audit.Entry{TenantID: t.ID,
		Actor: audit.Actor{Type: "user", ID: userID, IP: clientIP(c)}, Action: "user.nickname_review",
		TargetType: "user", TargetID: userID,
		Details: map[string]any{"nickname": nick, "label": v.Label, "trace_id": v.TraceID}})
	if err != nil {
		s.log.Error("audit entry not written", "request_id", requestIDOf(c), "tenant", t.Slug, "action", "user.nickname_review", "err", err)
	}
}
