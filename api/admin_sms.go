package api

import (
	"errors"
	"math"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/audit"
	"miniauth/tenants/signin"
	"miniauth/tenants/sms"
)

// A tenant's SMS settings in the admin API (docs/sms.md), below
// /admin/api/tenants/:tenant/sms. The provider's secret is write-only:
// PUT takes it, nothing answers it.

// smsSettingsJSON is GET's answer: the settings (when configured), the
// defaults that zero budgets take, and today's use of the daily cap.
type smsSettingsJSON struct {
	Configured bool `json:"configured"`
	*sms.Settings
	Defaults        sms.Limits `json:"defaults"`
	SentToday       int        `json:"sent_today"`
	DailyCapReached bool       `json:"daily_cap_reached"`
}

type smsSettingsRequest struct {
	sms.Settings
	Secret string `json:"secret"` // write-only; "" keeps the stored one (same provider and key id)
}

var smsSettingsFields = []string{"provider", "access_key_id", "secret", "sdk_app_id", "region", "sign_name",
	"template_id", "template_params", "allowed_prefixes", "limits"}

func (s *Server) smsSettingsAnswer(c *fiber.Ctx, st *sms.Settings) error {
	ctx, t := c.UserContext(), adminTenantOf(c)
	budgets := s.deps.SignIn.SMSBudgets()
	sent, err := budgets.SentToday(ctx, t.ID)
	if err != nil {
		return err
	}
	capped, err := budgets.CapReachedToday(ctx, t.ID)
	if err != nil {
		return err
	}
	return c.JSON(smsSettingsJSON{Configured: st != nil, Settings: st, Defaults: sms.Limits{}.WithDefaults(),
		SentToday: sent, DailyCapReached: capped})
}

func (s *Server) adminGetSMS(c *fiber.Ctx) error {
	st, err := s.deps.SMS.Get(c.UserContext(), adminTenantOf(c).ID)
	if err != nil && !errors.Is(err, sms.ErrNotFound) {
		return err
	}
	return s.smsSettingsAnswer(c, st)
}

// adminPutSMS creates or replaces the settings (audited by the store).
func (s *Server) adminPutSMS(c *fiber.Ctx) error {
	var req smsSettingsRequest
	if err := decodeKnownJSON(c, &req, smsSettingsFields...); err != nil {
		return err
	}
	in := req.Settings
	in.Secret = req.Secret
	st, err := s.deps.SMS.Put(c.UserContext(), adminTenantOf(c).ID, in, adminActor(c))
	if err != nil {
		return err
	}
	return s.smsSettingsAnswer(c, st)
}

// adminDeleteSMS removes the settings: SMS sign-in stops (409
// sms_not_configured).
func (s *Server) adminDeleteSMS(c *fiber.Ctx) error {
	if err := s.deps.SMS.Delete(c.UserContext(), adminTenantOf(c).ID, adminActor(c)); err != nil {
		if errors.Is(err, sms.ErrNotFound) {
			return &Error{Status: 404, Code: CodeNotFound, Message: "this tenant has no SMS settings"}
		}
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type smsTestRequest struct {
	Phone string `json:"phone"`
}

// adminTestSMS sends a real login code to the admin's own phone through
// the tenant's settings, spending the budgets like any other send, so the
// admin sees the provider's answer (sms_unavailable and its cause in the
// log, or a delivered SMS). Audited.
func (s *Server) adminTestSMS(c *fiber.Ctx) error {
	var req smsTestRequest
	if err := decodeKnownJSON(c, &req, "phone"); err != nil {
		return err
	}
	if req.Phone == "" || len(req.Phone) > 32 {
		return &Error{Status: 400, Code: CodeInvalidPhone, Message: "phone is required, in E.164 (+8613800138000)"}
	}
	t := adminTenantOf(c)
	exp, resend, err := s.deps.SignIn.SendSMSCode(c.UserContext(), t, req.Phone, sms.PurposeLogin,
		signin.Client{IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		return err
	}
	s.audit(c, audit.Entry{TenantID: t.ID, Actor: adminActor(c), Action: "sms.test_sent", TargetType: "sms_settings"})
	return c.Status(fiber.StatusAccepted).JSON(smsSendResponse{ExpiresIn: int(exp.Seconds()),
		ResendAfter: int(math.Ceil(resend.Seconds()))})
}
