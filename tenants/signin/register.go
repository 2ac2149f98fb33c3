package signin

import (
	"context"
	"errors"

	"miniauth/tenants"
	"miniauth/tenants/signup"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

// ErrPhoneCodeOffMiniProgram: a phone code (the getPhoneNumber button's,
// a mini-program's) sent with a sign-up that began on an H5 page.
var ErrPhoneCodeOffMiniProgram = errors.New("signin: a phone code for a sign-up begun on an H5 page")

// ErrPhoneRequired: the tenant only admits users it already has, found by
// phone number, and the sign-up brought none.
var ErrPhoneRequired = errors.New("signin: this tenant admits users by phone number only")

// ErrPhoneCodeWithSMS: a phone code sent with the sign-up of an SMS
// login's ticket, whose code proved the number already.
var ErrPhoneCodeWithSMS = errors.New("signin: a phone code for a sign-up begun with an SMS code")

// Registration is a sign-up ticket turned in, with the profile the user
// chose (nil: none) and optionally a getPhoneNumber code. The HTTP layer
// has validated the profile's fields.
type Registration struct {
	Ticket    string
	Nickname  *string
	AvatarURL *string
	PhoneCode string
}

// Register is the way in of a sign-up ticket (docs/registration.md): the
// identity a login or web OAuth left pending becomes a user (signup) or is
// bound to the imported user with the verified phone number
// (existing_only), and enters like a login, with an access token unless
// the tenant turned them off (access_token_on_login). The ticket is spent in the user transaction; a refused
// sign-up (a nickname WeChat rejects, a phone in use) leaves it usable
// until it expires, and a refused nickname does not cost the phone code.
func (s *Service) Register(ctx context.Context, t *tenants.Tenant, r Registration, c Client) (Entered, error) {
	p, err := s.cfg.Signup.Peek(ctx, t.ID, r.Ticket)
	if err != nil {
		return Entered{}, err
	}
	if p.AppID == 0 && p.Phone != "" { // an SMS login's ticket: the code proved the number
		return s.registerByPhone(ctx, t, p, r, c)
	}
	app, err := t.AppByID(p.AppID)
	if errors.Is(err, tenants.ErrAppUnknown) {
		return Entered{}, signup.ErrInvalid // the app was removed since
	} else if err != nil {
		return Entered{}, err
	}
	review, err := s.screenSignupNickname(ctx, t, app, p.OpenID, r.Nickname)
	if err != nil {
		return Entered{}, err
	}
	if r.PhoneCode != "" && app.Kind != tenants.KindMiniProgram {
		return Entered{}, ErrPhoneCodeOffMiniProgram
	}
	phone := p.Phone
	if r.PhoneCode != "" {
		wctx, cancel := WeChatBudget(ctx) // leave time to write the user and answer
		phone, err = s.VerifiedPhone(wctx, t, app, r.PhoneCode, p.OpenID)
		cancel()
		if err != nil {
			return Entered{}, err
		}
	}
	policy := t.Settings.RegistrationPolicy()
	if policy == tenants.RegistrationExistingOnly && phone == "" {
		return Entered{}, ErrPhoneRequired
	}
	in, err := s.Enter(ctx, t, Entry{
		Attempt: users.Attempt{
			Login:  users.Login{TenantID: t.ID, AppID: app.ID, OpenID: p.OpenID, UnionID: p.UnionID},
			Policy: policy, Register: true, Phone: phone,
			Profile: users.Profile{Nickname: r.Nickname, AvatarURL: r.AvatarURL},
		},
		SessionKey:  p.SessionKey,
		Client:      c,
		InTx:        func() error { return s.cfg.Signup.Spend(ctx, t.ID, r.Ticket) },
		AccessToken: t.Settings.AccessTokenOnLoginOn(),
		Way:         wayOf(p, app),
	})
	if err != nil {
		return Entered{}, err
	}
	if r.Nickname != nil && in.User.Nickname == *r.Nickname {
		s.AuditReview(ctx, t, in.User.PublicID, *r.Nickname, c.IP, review)
	}
	return in, nil
}

// screenSignupNickname checks a sign-up's nickname, under the identity of
// the ticket when it is a mini-program's (an H5 sign-up has no
// mini-program openid to check under).
func (s *Service) screenSignupNickname(ctx context.Context, t *tenants.Tenant, app *tenants.App, openid string, nick *string) (*wechat.SecCheck, error) {
	if nick == nil {
		return nil, nil
	}
	if app.Kind != tenants.KindMiniProgram {
		app = nil
	}
	return s.ScreenNickname(ctx, t, app, openid, *nick)
}

// wayOf is the way in a ticket came from; a ticket issued before tickets
// named it goes by the kind of its app.
func wayOf(p *signup.Pending, app *tenants.App) stats.Way {
	switch {
	case p.Way != "":
		return p.Way
	case app.Kind == tenants.KindMiniProgram:
		return stats.WayMiniProgram
	case app.Kind == tenants.KindMobileApp:
		return stats.WayApp
	case app.Kind == tenants.KindWebsite:
		return stats.WayWebsite
	}
	return stats.WayOAuth
}

// registerByPhone is Register for a ticket an SMS login gave (no app, a
// proved number): the nickname is checked without a mini-program identity
// to check it under.
func (s *Service) registerByPhone(ctx context.Context, t *tenants.Tenant, p *signup.Pending, r Registration, c Client) (Entered, error) {
	if r.PhoneCode != "" {
		return Entered{}, ErrPhoneCodeWithSMS
	}
	var review *wechat.SecCheck
	if r.Nickname != nil {
		var err error
		if review, err = s.ScreenNickname(ctx, t, nil, "", *r.Nickname); err != nil {
			return Entered{}, err
		}
	}
	in, err := s.RegisterByPhone(ctx, t, p, r.Ticket, users.Profile{Nickname: r.Nickname, AvatarURL: r.AvatarURL}, c)
	if err != nil {
		return Entered{}, err
	}
	if r.Nickname != nil && in.User.Nickname == *r.Nickname {
		s.AuditReview(ctx, t, in.User.PublicID, *r.Nickname, c.IP, review)
	}
	return in, nil
}
