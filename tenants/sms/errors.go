package sms

import (
	"errors"
	"fmt"
)

// What a provider's answer means for the caller. Every error of a Provider
// wraps one of them (a *ProviderError when the provider answered a code).
var (
	// ErrInvalidNumber: the provider will not deliver to this number (bad
	// format, unsupported region, blacklisted).
	ErrInvalidNumber = errors.New("sms: the provider refused the phone number")
	// ErrProviderLimit: one of the provider's frequency or daily limits
	// (per number or per account) is reached.
	ErrProviderLimit = errors.New("sms: a provider frequency or daily limit is reached")
	// ErrNoBalance: the tenant's SMS package or account balance is spent.
	ErrNoBalance = errors.New("sms: the provider account has no balance")
	// ErrMisconfigured: the tenant's settings are wrong: credentials, the
	// request signature, the SDK app, the sign name or the template.
	ErrMisconfigured = errors.New("sms: the provider refused the tenant's credentials, sign or template")
	// ErrUnavailable: the provider failed, timed out or answered garbage;
	// a later retry may work.
	ErrUnavailable = errors.New("sms: the provider is unavailable")
)

// ProviderError is a provider's answer with an error code. Its message is
// the provider's, which carries no secret and no code (the request's
// content is never echoed in it).
type ProviderError struct {
	Provider  string // "tencent" or "aliyun"
	Code      string // e.g. "LimitExceeded.PhoneNumberDailyLimit", "isv.BUSINESS_LIMIT_CONTROL"
	Message   string
	RequestID string
	Kind      error // one of the Err* above
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("sms: %s: %s: %s (request %s)", e.Provider, e.Code, e.Message, e.RequestID)
}

// Unwrap makes errors.Is(err, ErrProviderLimit) and the others work.
func (e *ProviderError) Unwrap() error { return e.Kind }

// unavailable wraps ErrUnavailable with a reason that is safe to log. The
// cause is never wrapped as-is: a transport error spells out URLs.
func unavailable(provider, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrUnavailable, provider, reason)
}
