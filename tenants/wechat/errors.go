package wechat

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
)

// ErrUnavailable is wrapped by every error that is not a WeChat errcode:
// transport failures, timeouts, HTTP statuses other than 200, and bodies that
// are not WeChat JSON.
var ErrUnavailable = errors.New("wechat: unavailable")

// APIError is a reply of WeChat's carrying a non-zero errcode.
type APIError struct {
	API   string // e.g. "jscode2session"
	Code  int    // WeChat's errcode
	Msg   string // WeChat's errmsg, request id included
	AppID string // the app the call was made for, when the call names one (ForApp)
}

// Error returns e.g. "wechat: jscode2session: errcode 40029: invalid code".
func (e *APIError) Error() string {
	return fmt.Sprintf("wechat: %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Is reports errcode -1 ("system error, retry later") as ErrUnavailable too:
// it says WeChat is busy, not that the request was wrong.
func (e *APIError) Is(target error) bool {
	return target == ErrUnavailable && e.Code == CodeBusy
}

// IsCode reports whether err is a *APIError with one of codes.
func IsCode(err error, codes ...int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.Code)
}

// unavailable wraps ErrUnavailable with the API name and a reason that is
// safe to log.
func unavailable(api, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrUnavailable, api, reason)
}

// transportError turns a failed attempt into ErrUnavailable. The cause is
// never wrapped as-is: a *url.Error spells out the request URL, whose query
// holds the AppSecret and the code. Only a context error, which carries no
// data, is wrapped so that callers can tell their own cancellation apart.
func transportError(api string, attempt context.Context, err error) error {
	if ctxErr := attempt.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, api, ctxErr)
	}
	return unavailable(api, transportReason(err))
}

func transportReason(err error) string {
	var netErr net.Error
	var dnsErr *net.DNSError
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnsErr):
		return "host lookup failed"
	case errors.As(err, &tlsErr), errors.As(err, &certErr):
		return "tls failure"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	default:
		return "transport failure"
	}
}
