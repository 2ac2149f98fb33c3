package sms

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"miniauth/tenants"
)

// Settings are a tenant's SMS provider and budgets. Secret is write-only:
// Store.Put takes it, Store.Get never fills it (SecretSet says whether one
// is stored), and only Store.Load, for sending, unseals it.
type Settings struct {
	Provider    string `json:"provider"`      // Tencent or Aliyun
	AccessKeyID string `json:"access_key_id"` // Tencent SecretId, Alibaba AccessKeyId
	Secret      string `json:"-"`             // Tencent SecretKey, Alibaba AccessKey secret
	SecretSet   bool   `json:"secret_set"`
	SDKAppID    string `json:"sdk_app_id,omitempty"` // Tencent SmsSdkAppId
	Region      string `json:"region,omitempty"`     // Tencent region; "ap-guangzhou" when empty
	SignName    string `json:"sign_name"`
	TemplateID  string `json:"template_id"` // Tencent TemplateId, Alibaba TemplateCode
	// TemplateParams says what fills the template's variables, in order:
	// "code" or "minutes" (the code's lifetime). For Alibaba each is also
	// the variable's name (${code}, ${minutes}). Tencent's default is
	// ["code", "minutes"] ("{1}为您的验证码，{2}分钟内有效"), Alibaba's ["code"].
	TemplateParams []string `json:"template_params,omitempty"`
	// AllowedPrefixes are the country prefixes served; ["+86"] when empty.
	AllowedPrefixes []string  `json:"allowed_prefixes"`
	Limits          Limits    `json:"limits"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Limits are the budgets against SMS pumping, all cluster-wide. Zero
// fields take the defaults.
type Limits struct {
	PhonePerMinute int `json:"phone_per_minute,omitempty"`
	PhonePerHour   int `json:"phone_per_hour,omitempty"`
	PhonePerDay    int `json:"phone_per_day,omitempty"` // rolling 24 hours
	AddressPerHour int `json:"address_per_hour,omitempty"`
	AddressPerDay  int `json:"address_per_day,omitempty"`
	// TenantPerDay is the tenant's daily cap (a calendar day in China
	// Standard Time, as both providers count days); reaching it is
	// ErrDailyCap.
	TenantPerDay int `json:"tenant_per_day,omitempty"`
}

// Defaults: per phone as Alibaba's own limits for verification codes; per
// address as sms-api.md §3.3 suggests (an IPv6 address counts by its /64).
const (
	DefaultPhonePerMinute = 1
	DefaultPhonePerHour   = 5
	DefaultPhonePerDay    = 10
	DefaultAddressPerHour = 10
	DefaultAddressPerDay  = 50
	DefaultTenantPerDay   = 1000
)

// DefaultPrefixes are the country prefixes a tenant serves unless it says.
var DefaultPrefixes = []string{"+86"}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	return Limits{
		PhonePerMinute: or(l.PhonePerMinute, DefaultPhonePerMinute),
		PhonePerHour:   or(l.PhonePerHour, DefaultPhonePerHour),
		PhonePerDay:    or(l.PhonePerDay, DefaultPhonePerDay),
		AddressPerHour: or(l.AddressPerHour, DefaultAddressPerHour),
		AddressPerDay:  or(l.AddressPerDay, DefaultAddressPerDay),
		TenantPerDay:   or(l.TenantPerDay, DefaultTenantPerDay),
	}
}

// Prefixes are the allowed prefixes, the default when none are set.
func (s *Settings) Prefixes() []string {
	if len(s.AllowedPrefixes) == 0 {
		return DefaultPrefixes
	}
	return s.AllowedPrefixes
}

// Params are the template's variables as settings name them.
func (s *Settings) Params() []string {
	switch {
	case len(s.TemplateParams) > 0:
		return s.TemplateParams
	case s.Provider == Aliyun:
		return []string{"code"}
	}
	return []string{"code", "minutes"}
}

// Validate checks the settings; the secret is required only when
// requireSecret (a first Put, or a changed provider or key id).
func (s *Settings) Validate(requireSecret bool) error {
	switch s.Provider {
	case Tencent:
		if !digits(s.SDKAppID, 6, 20) {
			return tenants.Invalid("sdk_app_id must be the SmsSdkAppId, digits (e.g. 1400006666)")
		}
		if !digits(s.TemplateID, 1, 20) {
			return tenants.Invalid("template_id must be a Tencent template id, digits")
		}
		if s.Region != "" && !token(s.Region, 32) {
			return tenants.Invalid("region must look like ap-guangzhou")
		}
	case Aliyun:
		if s.SDKAppID != "" || s.Region != "" {
			return tenants.Invalid("sdk_app_id and region are Tencent settings")
		}
		if !strings.HasPrefix(s.TemplateID, "SMS_") || !digits(s.TemplateID[4:], 1, 20) {
			return tenants.Invalid("template_id must be an Alibaba template code (SMS_ and digits)")
		}
	default:
		return tenants.Invalid(`provider must be "tencent" or "aliyun"`)
	}
	if !token(s.AccessKeyID, 128) {
		return tenants.Invalid("access_key_id must be the provider's SecretId or AccessKeyId")
	}
	if requireSecret && s.Secret == "" {
		return tenants.Invalid("secret is required with a new provider or access key id")
	}
	if len(s.Secret) > 256 || strings.ContainsAny(s.Secret, " \t\r\n") {
		return tenants.Invalid("secret must be the provider's SecretKey or AccessKey secret")
	}
	if n := utf8.RuneCountInString(s.SignName); n < 2 || n > 30 || strings.ContainsAny(s.SignName, "【】[]\r\n") {
		return tenants.Invalid("sign_name must be the approved sign's text, 2 to 30 characters, without brackets")
	}
	if len(s.TemplateParams) > 4 {
		return tenants.Invalid("template_params has at most 4 entries")
	}
	for _, p := range s.TemplateParams {
		if p != "code" && p != "minutes" {
			return tenants.Invalid(`template_params entries must be "code" or "minutes"`)
		}
	}
	if len(s.TemplateParams) > 0 && !slices.Contains(s.TemplateParams, "code") {
		return tenants.Invalid(`template_params must contain "code"`)
	}
	if len(s.AllowedPrefixes) > 20 {
		return tenants.Invalid("allowed_prefixes has at most 20 entries")
	}
	for _, p := range s.AllowedPrefixes {
		if !strings.HasPrefix(p, "+") || !digits(p[1:], 1, 6) || p[1] == '0' {
			return tenants.Invalid("allowed_prefixes entries must be + and a country code (e.g. +86, +852)")
		}
	}
	return s.Limits.Validate()
}

// Validate refuses negative and absurd budgets.
func (l Limits) Validate() error {
	for _, v := range []int{l.PhonePerMinute, l.PhonePerHour, l.PhonePerDay, l.AddressPerHour, l.AddressPerDay} {
		if v < 0 || v > 1000 {
			return tenants.Invalid("per-phone and per-address budgets must be between 0 (the default) and 1000")
		}
	}
	if l.TenantPerDay < 0 || l.TenantPerDay > 10_000_000 {
		return tenants.Invalid("tenant_per_day must be between 0 (the default) and 10000000")
	}
	return nil
}

func digits(s string, minLen, maxLen int) bool {
	return len(s) >= minLen && len(s) <= maxLen && strings.Trim(s, "0123456789") == ""
}

// token: printable ASCII without spaces, 1 to maxLen bytes.
func token(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Endpoints say where the providers are: the platform's configuration,
// never a tenant's (a tenant-chosen URL would make the server post its
// secrets' signatures wherever the tenant likes). Empty means the real
// service; the simulator is e.g. "http://127.0.0.1:8082".
type Endpoints struct {
	Tencent, Aliyun string
	Timeout         time.Duration // DefaultTimeout when zero
}

// NewProvider builds the provider the settings (loaded with their secret)
// name.
func (s *Settings) NewProvider(ep Endpoints) (Provider, error) {
	switch s.Provider {
	case Tencent:
		return NewTencent(TencentConfig{SecretID: s.AccessKeyID, SecretKey: s.Secret, SDKAppID: s.SDKAppID,
			SignName: s.SignName, TemplateID: s.TemplateID, Region: s.Region, Endpoint: ep.Tencent, Timeout: ep.Timeout})
	case Aliyun:
		return NewAliyun(AliyunConfig{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.Secret, SignName: s.SignName,
			TemplateCode: s.TemplateID, ParamNames: s.Params(), Endpoint: ep.Aliyun, Timeout: ep.Timeout})
	}
	return nil, tenants.Invalid("unknown SMS provider")
}
