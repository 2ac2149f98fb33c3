package signin

import (
	"context"
	"errors"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/signup"
	"miniauth/tenants/sms"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
)

// SendSMSCode sends a one-time code for purpose (sms.PurposeLogin or
// sms.PurposeBind) to phone, on behalf of client c, and answers how long
// the code lives and when the phone may ask again. Whether the number has
// an account plays no part: the answer is the same either way. The first
// refusal of a day by the tenant's daily cap is audited
// (sms.daily_cap_reached) and shown on the console's overview.
func (s *Service) SendSMSCode(ctx context.Context, t *tenants.Tenant, phone, purpose string, c Client) (expiresIn, resendAfter time.Duration, err error) {
	expiresIn, resendAfter, err = s.cfg.SMS.Send(ctx, t.ID, phone, purpose, c.IP)
	if errors.Is(err, sms.ErrDailyCap) {
		s.noteDailyCap(ctx, t)
	}
	return expiresIn, resendAfter, err
}

func (s *Service) noteDailyCap(ctx context.Context, t *tenants.Tenant) {
	first, err := s.cfg.SMS.Budgets().NoteCapReached(context.WithoutCancel(ctx), t.ID)
	if err != nil {
		s.cfg.Logger.Error("sms daily cap not noted", "tenant_id", t.ID, "err", err)
		return
	}
	if !first {
		return
	}
	s.cfg.Logger.Warn("sms daily cap reached", "tenant_id", t.ID)
	s.audit(ctx, audit.Entry{TenantID: t.ID, Actor: audit.Actor{Type: "system", ID: "sms"},
		Action: "sms.daily_cap_reached", TargetType: "sms_settings"})
}

// SMSLogin is a login by phone number and the code sent to it.
type SMSLogin struct {
	Phone string
	Code  string
}

// SMS is the SMS way in (DESIGN §10): the code is spent, and the number
// it proved is the identity, under the tenant's registration policy: the
// user holding the number (however it was bound: a mini-program's
// getPhoneNumber, an import, an earlier SMS login) comes in; an unknown
// number becomes a user (auto), gets a sign-up ticket that carries it
// (signup), or is users.ErrNotRegistered (existing_only). A wrong,
// expired or used code is sms.ErrInvalidCode, alike.
func (s *Service) SMS(ctx context.Context, t *tenants.Tenant, req SMSLogin, c Client) (res LoginResult, err error) {
	defer func() { s.refused(ctx, t, stats.WaySMS, 0, err) }() // the charts of use (stats.go)
	phone, err := s.cfg.SMS.Verify(ctx, t.ID, req.Phone, sms.PurposeLogin, req.Code)
	if err != nil {
		return LoginResult{}, err
	}
	e := Entry{Attempt: users.Attempt{Login: users.Login{TenantID: t.ID}, Policy: t.Settings.RegistrationPolicy(), Phone: phone},
		Client: c, AccessToken: t.Settings.AccessTokenOnLoginOn(), Way: stats.WaySMS, ByPhone: true}
	in, err := s.Enter(ctx, t, e)
	if errors.Is(err, users.ErrUnknownIdentity) {
		ticket, err := s.cfg.Signup.Issue(ctx, t.ID, signup.Pending{Phone: phone})
		return LoginResult{Ticket: ticket}, err
	}
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Entered: in}, nil
}

// RegisterByPhone finishes the sign-up of a ticket an SMS login gave (p
// has a phone and no app): the user is created with the number, the
// ticket spent in the same transaction.
func (s *Service) RegisterByPhone(ctx context.Context, t *tenants.Tenant, p *signup.Pending, ticket string, profile users.Profile, c Client) (Entered, error) {
	a := users.Attempt{Login: users.Login{TenantID: t.ID}, Policy: t.Settings.RegistrationPolicy(), Register: true,
		Phone: p.Phone, Profile: profile}
	return s.Enter(ctx, t, Entry{Attempt: a, Client: c, AccessToken: t.Settings.AccessTokenOnLoginOn(), Way: stats.WaySMS, ByPhone: true,
		InTx: func() error { return s.cfg.Signup.Spend(ctx, t.ID, ticket) }})
}

// BindPhoneBySMS binds (or changes) the signed-in user's phone number to
// the one the code proved. A number bound to another user of the tenant
// is users.ErrPhoneInUse and changes nothing.
func (s *Service) BindPhoneBySMS(ctx context.Context, t *tenants.Tenant, u *users.User, phone, code string) (*users.User, error) {
	phone, err := s.cfg.SMS.Verify(ctx, t.ID, phone, sms.PurposeBind, code)
	if err != nil {
		return nil, err
	}
	return s.cfg.Users.BindPhone(ctx, t.ID, u.ID, phone)
}

// SMSBudgets are the SMS budgets, for the console's view of the daily cap.
func (s *Service) SMSBudgets() *sms.Budgets { return s.cfg.SMS.Budgets() }
