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

// ErrSnapshotUser refuses web OAuth from a WeChat snapshot page: its ids
// are virtual (wechat-open-api.md §3), and registering or merging them
// would make an account nobody can reach again.
var ErrSnapshotUser = errors.New("signin: a snapshot page's virtual user")

// WebOAuth is the way in of H5 pages inside WeChat (docs/registration.md),
// and of the tenant's website by QR code (a website application, scope
// snsapi_login, wechat-open-api.md §2):
// the official account's OAuth code is exchanged, the profile read where
// the scope allows (each field kept only if valid), and the identity
// entered. An identity the tenant's policy does not admit yet gets a
// sign-up ticket (in is then zero), not an error.
func (s *Service) WebOAuth(ctx context.Context, t *tenants.Tenant, st *signup.State, code string, c Client) (in Entered, ticket string, err error) {
	app, err := t.AppByID(st.AppID)
	if err != nil {
		s.refused(ctx, t, stats.WayOAuth, 0, err)
		return in, "", err
	}
	defer func() { s.refused(ctx, t, wayOfApp(t, app.ID), app.ID, err) }() // oauth, or website for QR login
	secret, err := s.cfg.Tenants.Secret(app)
	if err != nil {
		return in, "", err
	}
	tok, err := s.cfg.WeChat.OAuthAccessToken(ctx, app.AppID, secret, code)
	if err != nil {
		return in, "", err
	}
	if tok.Snapshot == 1 {
		return in, "", ErrSnapshotUser
	}
	a := users.Attempt{Login: users.Login{TenantID: t.ID, AppID: app.ID, OpenID: tok.OpenID, UnionID: tok.UnionID},
		Policy: t.Settings.RegistrationPolicy()}
	if st.Scope == wechat.ScopeUserInfo || st.Scope == wechat.ScopeLogin {
		info, err := s.cfg.WeChat.OAuthUserInfo(ctx, tok.AccessToken, tok.OpenID)
		if err != nil {
			return in, "", wechat.ForApp(app.AppID, err)
		}
		if info.UnionID != "" {
			a.UnionID = info.UnionID
		}
		// Each field on its own: an odd avatar must not cost the nickname.
		if (users.Profile{Nickname: &info.Nickname}).Validate() == nil {
			a.Profile.Nickname = &info.Nickname
		}
		if (users.Profile{AvatarURL: &info.HeadImgURL}).Validate() == nil {
			a.Profile.AvatarURL = &info.HeadImgURL
		}
	}
	way := stats.WayOAuth
	if app.Kind == tenants.KindWebsite {
		way = stats.WayWebsite // QR login on the tenant's website (scope snsapi_login)
	}
	in, err = s.Enter(ctx, t, Entry{Attempt: a, Client: c, Way: way})
	if errors.Is(err, users.ErrUnknownIdentity) {
		ticket, err = s.cfg.Signup.Issue(ctx, t.ID, signup.Pending{AppID: app.ID, OpenID: tok.OpenID, UnionID: a.UnionID, Way: way})
		return Entered{}, ticket, err
	}
	return in, "", err
}
