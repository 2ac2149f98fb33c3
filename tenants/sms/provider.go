// Package sms sends one-time login codes by SMS through a tenant's provider
// (Tencent Cloud SMS or Alibaba Cloud SMS), keeps the codes (as keyed
// hashes) in Redis, and enforces the budgets that defend against SMS
// pumping, cluster-wide. The HTTP layer calls a Sender to send and a Codes
// store to verify; the simulator of both providers is in smstest.
package sms

import (
	"context"
	"net/url"
	"strings"
	"time"

	"miniauth/tenants"
)

// Provider sends a template message to one phone number.
type Provider interface {
	// Send delivers the tenant's template to phone (E.164, "+8613800138000")
	// with params in the template's order. Its errors wrap ErrInvalidNumber,
	// ErrProviderLimit, ErrNoBalance, ErrMisconfigured or ErrUnavailable.
	Send(ctx context.Context, phone string, params []string) error
}

// Provider names, as stored in the settings.
const (
	Tencent = "tencent"
	Aliyun  = "aliyun"
)

// DefaultTimeout bounds every call to a provider. Alibaba's docs ask for at
// least a second; a login form should not wait much longer than this.
const DefaultTimeout = 5 * time.Second

// endpoint splits an endpoint given as a URL ("http://127.0.0.1:8082") or a
// bare host ("sms.tencentcloudapi.com", meaning https) into scheme and host.
func endpoint(raw, def string) (scheme, host string, err error) {
	if raw == "" {
		return "https", def, nil
	}
	if !strings.Contains(raw, "://") {
		return "https", raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return "", "", tenants.Invalid("an SMS endpoint must be http(s)://host[:port]")
	}
	return u.Scheme, u.Host, nil
}

// CheckEndpoint says whether raw is an endpoint the providers accept: a
// host ("sms.tencentcloudapi.com", meaning https) or http(s)://host[:port].
func CheckEndpoint(raw string) error {
	if raw == "" {
		return nil
	}
	if _, host, err := endpoint(raw, ""); err != nil || host == "" || strings.ContainsAny(host, "/ ") {
		return tenants.Invalid("an SMS endpoint must be a host or http(s)://host[:port]")
	}
	return nil
}
