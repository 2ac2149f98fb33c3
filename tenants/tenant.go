// Package tenants is the domain of miniauth's customers: a Tenant, its WeChat
// Apps with their sealed AppSecrets, the Registry that stores them in MySQL,
// and a Cache that keeps the login path off MySQL.
package tenants

import (
	"errors"
	"regexp"
	"time"

	"miniauth/tenants/ratelimit"
)

// Errors of the tenant domain. Callers test them with errors.Is.
var (
	ErrNotFound   = errors.New("tenants: not found")
	ErrDisabled   = errors.New("tenants: tenant disabled")
	ErrSlugTaken  = errors.New("tenants: slug already taken")
	ErrAppIDTaken = errors.New("tenants: appid already registered")
	ErrAppUnknown = errors.New("tenants: app not found for tenant")
	ErrInvalid    = errors.New("tenants: invalid input")
)

// Status of a tenant.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// Registration policies (see Settings.Registration).
const (
	RegistrationAuto         = "auto"
	RegistrationSignup       = "signup"
	RegistrationExistingOnly = "existing_only"
)

var appIDRe = regexp.MustCompile(`^wx[0-9a-zA-Z]{6,30}$`)

// ValidSlug reports whether s can name a tenant: 3 to 32 of a-z, 0-9 and
// '-'. Every request to /t/{tenant}/ asks, so it is a loop, not a regexp.
func ValidSlug(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidAppID reports whether s looks like a WeChat AppID.
func ValidAppID(s string) bool { return appIDRe.MatchString(s) }

// Tenant is a customer of the platform.
type Tenant struct {
	ID           int64
	Slug         string
	Name         string
	Status       string
	Settings     Settings
	SessionEpoch int64 // raised to revoke every session of the tenant at once
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Apps         []App
}

// Active reports whether the tenant may log users in.
func (t *Tenant) Active() bool { return t.Status == StatusActive }

// App picks the tenant's mini-program by appid, or its default one when
// appid is empty.
func (t *Tenant) App(appid string) (*App, error) {
	for i := range t.Apps {
		a := &t.Apps[i]
		if (appid == "" && a.IsDefault) || (appid != "" && a.AppID == appid) {
			return a, nil
		}
	}
	return nil, ErrAppUnknown
}

// Settings are a tenant's own choices; zero values mean the defaults.
type Settings struct {
	SessionIdleSeconds     int    `json:"session_idle_seconds,omitempty"`
	SessionAbsoluteSeconds int    `json:"session_absolute_seconds,omitempty"`
	Registration           string `json:"registration,omitempty"`
	// AllowedOrigins are the tenant's web origins ("https://h5.example.com")
	// that get CORS headers; RedirectURIs are where web OAuth may send the
	// browser back to (see web.go).
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	RedirectURIs   []string `json:"redirect_uris,omitempty"`
	// RateLimits are the tenant's request budgets (see tenants/ratelimit).
	RateLimits ratelimit.Limits `json:"rate_limits,omitempty"`
	// NicknameCheck sends every changed nickname through WeChat's content
	// check. New tenants get it on; settings stored before it existed lack
	// it, and those tenants keep what they had: no check, until an admin
	// turns it on. NicknameCheckFailOpen (default true) accepts a nickname
	// when the check cannot run; false refuses it.
	NicknameCheck         *bool `json:"nickname_check,omitempty"`
	NicknameCheckFailOpen *bool `json:"nickname_check_fail_open,omitempty"`
	// AccessTokenOnLogin puts an access token for the tenant's backend in
	// every login's answer. Off, the app fetches one from POST
	// /t/{tenant}/token when its backend needs one (the SDK's
	// getAccessToken), and a login spares an ES256 signature. Tenants made
	// since issue 18 start with it off (Registry.Create); nil, as older
	// tenants have it, means on, so they keep what they had.
	AccessTokenOnLogin *bool `json:"access_token_on_login,omitempty"`
}

// AccessTokenOnLoginOn reports whether a login's answer carries an access
// token.
func (s Settings) AccessTokenOnLoginOn() bool {
	return s.AccessTokenOnLogin == nil || *s.AccessTokenOnLogin
}

// NicknameCheckOn reports whether changed nicknames go through WeChat's
// content check.
func (s Settings) NicknameCheckOn() bool { return s.NicknameCheck != nil && *s.NicknameCheck }

// NicknameCheckFailsOpen reports whether a nickname is accepted when the
// content check cannot run (WeChat down, no recent mini-program visit).
func (s Settings) NicknameCheckFailsOpen() bool {
	return s.NicknameCheckFailOpen == nil || *s.NicknameCheckFailOpen
}

// Defaults and bounds for Settings.
const (
	DefaultSessionIdle     = 7 * 24 * time.Hour
	DefaultSessionAbsolute = 30 * 24 * time.Hour
	// Every duration setting lies between these, checked on the seconds
	// before they become a time.Duration, which a huge count would wrap.
	MinSessionLifetime = time.Minute
	MaxSessionLifetime = 400 * 24 * time.Hour
)

// SessionIdle is how long a session lives without being used.
func (s Settings) SessionIdle() time.Duration {
	return lifetime(s.SessionIdleSeconds, DefaultSessionIdle)
}

// SessionAbsolute is how long a session lives at most, used or not.
func (s Settings) SessionAbsolute() time.Duration {
	return lifetime(s.SessionAbsoluteSeconds, DefaultSessionAbsolute)
}

// lifetime turns a setting in seconds into a duration. Validate refuses
// anything out of bounds; a value stored some other way is held to the
// bounds rather than wrapped.
func lifetime(seconds int, def time.Duration) time.Duration {
	switch {
	case seconds <= 0:
		return def
	case seconds < int(MinSessionLifetime/time.Second):
		return MinSessionLifetime
	case seconds > int(MaxSessionLifetime/time.Second):
		return MaxSessionLifetime
	}
	return time.Duration(seconds) * time.Second
}

// validLifetime says whether a setting in seconds is unset (0) or within
// the bounds.
func validLifetime(seconds int) bool {
	return seconds == 0 ||
		seconds >= int(MinSessionLifetime/time.Second) && seconds <= int(MaxSessionLifetime/time.Second)
}

// RegistrationPolicy is what happens to an unknown WeChat identity.
func (s Settings) RegistrationPolicy() string {
	if s.Registration == "" {
		return RegistrationAuto
	}
	return s.Registration
}

// Validate checks the settings a tenant admin may set.
func (s Settings) Validate() error {
	switch {
	case !validLifetime(s.SessionIdleSeconds) || !validLifetime(s.SessionAbsoluteSeconds):
		return Invalid("session lifetimes must be between 60 seconds and 400 days")
	case s.SessionAbsolute() < s.SessionIdle():
		return Invalid("absolute session lifetime must not be shorter than the idle one")
	case s.SessionAbsolute() > 365*24*time.Hour:
		return Invalid("absolute session lifetime is at most one year")
	}
	switch s.RegistrationPolicy() {
	case RegistrationAuto, RegistrationSignup, RegistrationExistingOnly:
	default:
		return Invalid("unknown registration policy")
	}
	if err := s.RateLimits.Validate(); err != nil {
		return Invalid(err.Error())
	}
	return s.validateWeb()
}

// App kinds (DESIGN.md §10). Mini-programs take wx.login codes; the others
// take OAuth codes of sns/oauth2/access_token: an official account's from
// web OAuth inside WeChat, an Open Platform mobile application's from the
// WeChat app's SendAuth, a website application's from the qrconnect page.
const (
	KindMiniProgram     = "miniprogram"
	KindOfficialAccount = "officialaccount"
	KindMobileApp       = "mobileapp"
	KindWebsite         = "website"
)

// App is one of a tenant's WeChat applications. The AppSecret is kept
// sealed; Registry.Secret opens it when a WeChat call needs it.
type App struct {
	ID           int64
	TenantID     int64
	Kind         string
	AppID        string
	SecretSealed []byte
	SecretKeyID  string
	IsDefault    bool
}

// secretAD binds a sealed AppSecret to its tenant and app.
func secretAD(tenantID int64, appid string) string {
	return "app-secret:" + itoa(tenantID) + ":" + appid
}

// InvalidError is a validation failure whose message is written for the
// client. It matches ErrInvalid with errors.Is.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return "invalid input: " + e.Msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns an *InvalidError with msg.
func Invalid(msg string) error { return &InvalidError{Msg: msg} }
