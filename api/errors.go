package api

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/tokens"
	"miniauth/tenants/users"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
)

// Error codes of the API (the table in docs/api.md). Clients match on these, never on the
// message.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeRequestTooLarge     = "request_too_large"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeTenantNotFound      = "tenant_not_found"
	CodeTenantDisabled      = "tenant_disabled"
	CodeInvalidCode         = "invalid_code"
	CodeInvalidSession      = "invalid_session"
	CodeUserBanned          = "user_banned"
	CodeRateLimited         = "rate_limited"
	CodeWeChatUnavailable   = "wechat_unavailable"
	CodeTenantMisconfigured = "tenant_misconfigured"
	CodeUnavailable         = "unavailable"
	CodeInternal            = "internal"

	// Admin API.
	CodeUnauthenticated    = "unauthenticated"     // 401: no console session
	CodeInvalidCredentials = "invalid_credentials" // 401: wrong email or password
	CodeCSRFFailed         = "csrf_failed"         // 403: missing or wrong X-CSRF-Token
	CodeForbidden          = "forbidden"           // 403: a platform admin's action
	CodeConflict           = "conflict"            // 409: slug, appid or email taken

	// Registration and the rest of WeChat login (docs/registration.md).
	CodeNotRegistered        = "not_registered"         // 403: existing_only and no user has the phone number
	CodePhoneInUse           = "phone_in_use"           // 409: the number is bound to another user of the tenant
	CodeSessionKeyStale      = "session_key_stale"      // 409: WeChat replaced the session_key; log in again
	CodeInvalidTicket        = "invalid_ticket"         // 400: sign-up ticket unknown, expired or used
	CodeInvalidPhoneCode     = "invalid_phone_code"     // 400: getPhoneNumber code invalid, expired, used, other app
	CodeInvalidEncryptedData = "invalid_encrypted_data" // 400: does not decrypt, or made for another app
	CodeInvalidSignature     = "invalid_signature"      // 400: raw_data signature does not match
	CodeOpenIDMismatch       = "openid_mismatch"        // 400: decrypted data names another WeChat user than the session's
	CodeInvalidState         = "invalid_state"          // 400: web OAuth state unknown, expired or not this browser's
	CodeInvalidRedirectURI   = "invalid_redirect_uri"   // 400: not on the tenant's redirect allow-list
	CodeInvalidAPIKey        = "invalid_api_key"        // 401: tenant backend without a valid API key

	// Profiles (docs/registration.md).
	CodeNicknameRejected = "nickname_rejected" // 422: WeChat's content check said risky
	CodeUnsupportedImage = "unsupported_image" // 400: an avatar that is not JPEG, PNG or WebP
	// WeChat's own refusals (wechat_errors.go).
	CodeWeChatUserBlocked    = "wechat_user_blocked"    // 403: WeChat blocks this high-risk user's logins (40226)
	CodeWeChatQuotaExhausted = "wechat_quota_exhausted" // 429: the app's daily WeChat API quota is spent (45009)
	CodeSnapshotUser         = "snapshot_user"          // web OAuth from a snapshot page: a virtual user, refused
	// Ways in of one account (identities.go).
	CodeIdentityInUse = "identity_in_use" // 409: the way in belongs to another user of the tenant
	CodeLastIdentity  = "last_identity"   // 409: unlinking it would leave the user no way in

	// Admin accounts and MFA (admin_account_errors.go).
	CodeInvalidMFACode       = "invalid_mfa_code"       // 401 at sign-in, 400 otherwise: wrong, used or expired code
	CodeInvalidMFAToken      = "invalid_mfa_token"      // 401: the sign-in's MFA step expired or is unknown; sign in again
	CodeMFAEnrolmentRequired = "mfa_enrolment_required" // 401: signed in, but MFA must be set up before anything else
	CodeMFAAlreadyEnabled    = "mfa_already_enabled"    // 409
	CodeMFANotEnabled        = "mfa_not_enabled"        // 409
	CodeMFAEnrolmentExpired  = "mfa_enrolment_expired"  // 409: no set-up waits for its first code; start again
	CodeWrongPassword        = "wrong_password"         // 403: the admin's own current password is wrong
	CodeLastPlatformAdmin    = "last_platform_admin"    // 409: would leave no active platform admin
	CodeInvalidInvite        = "invalid_invite"         // 400: invite unknown, used or expired
	// SMS one-time codes (docs/sms.md).
	CodeInvalidPhone     = "invalid_phone"      // 400: not E.164, outside the tenant's prefixes, refused by the provider
	CodeInvalidSMSCode   = "invalid_sms_code"   // 401: wrong, expired or used, alike
	CodeSMSNotConfigured = "sms_not_configured" // 409: the tenant has no SMS settings
	CodeSMSUnavailable   = "sms_unavailable"    // 502: the provider failed or refused the tenant's account
)

// Error is an API error: a status, a code and a message for the client,
// and the cause for the log only.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int // seconds; sent as Retry-After when set
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

func badRequest(msg string) *Error {
	return &Error{Status: fiber.StatusBadRequest, Code: CodeInvalidRequest, Message: msg}
}

// classify is the one place that maps domain errors to status and code.
func classify(err error) *Error {
	var apiErr *Error
	var fe *fiber.Error
	var we *wechat.APIError
	var exceeded *ratelimit.Exceeded
	var invalid *tenants.InvalidError
	var tooSoon *sessions.TooSoonError
	var forceLimited *tokens.ForceLimitedError
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.Is(err, signin.ErrSnapshotUser):
		return errSnapshotUser(nil)
	case smsError(err) != nil: // before InvalidError: sms.ErrInvalidPhone is one
		return smsError(err)
	case errors.As(err, &fe):
		return fiberError(fe)
	case adminAccountError(err) != nil:
		return adminAccountError(err)
	case errors.Is(err, admins.ErrNoSession):
		return &Error{Status: 401, Code: CodeUnauthenticated, Message: "sign in to the console first"}
	case errors.Is(err, admins.ErrNotFound):
		return &Error{Status: 404, Code: CodeNotFound, Message: "no such admin"}
	case errors.Is(err, admins.ErrBusy):
		return &Error{Status: 429, Code: CodeRateLimited, RetryAfter: 1,
			Message: "too many sign-ins at once on this server; retry in a moment"}
	case errors.Is(err, admins.ErrEmailTaken):
		return &Error{Status: 409, Code: CodeConflict, Message: "an admin with this email already exists"}
	case errors.Is(err, tenants.ErrSlugTaken):
		return &Error{Status: 409, Code: CodeConflict, Message: "this slug is taken"}
	case errors.Is(err, tenants.ErrAppIDTaken):
		return &Error{Status: 409, Code: CodeConflict, Message: "this AppID is already registered"}
	case errors.Is(err, tenants.ErrNotFound):
		return &Error{Status: 404, Code: CodeTenantNotFound, Message: "no such tenant"}
	case errors.Is(err, tenants.ErrDisabled):
		return &Error{Status: 403, Code: CodeTenantDisabled, Message: "this tenant is disabled"}
	case errors.Is(err, tenants.ErrAppUnknown):
		return badRequest("appid is not a mini-program of this tenant")
	case errors.As(err, &invalid):
		return badRequest(invalid.Msg)
	case errors.Is(err, sessions.ErrNotFound), errors.Is(err, users.ErrNotFound):
		return &Error{Status: 401, Code: CodeInvalidSession, Message: "the session is invalid or expired; log in again"}
	case errors.Is(err, users.ErrNoAvatar), errors.Is(err, tenants.ErrNoVerifyFile):
		return &Error{Status: 404, Code: CodeNotFound, Message: "no such file"}
	case errors.Is(err, users.ErrNotImage):
		return &Error{Status: 400, Code: CodeUnsupportedImage, Message: "the avatar must be a JPEG, PNG or WebP image"}
	case errors.Is(err, users.ErrTooLarge):
		return errAvatarTooLarge
	case errors.Is(err, tenants.ErrVerifyFileTaken):
		return &Error{Status: 409, Code: CodeConflict, Message: "another tenant has a verification file of this name"}
	case errors.Is(err, users.ErrBanned):
		return &Error{Status: 403, Code: CodeUserBanned, Message: "this user is banned"}
	case errors.Is(err, users.ErrNotRegistered):
		return &Error{Status: 403, Code: CodeNotRegistered, Message: "no user of this tenant has this phone number; ask the business to register you"}
	case errors.Is(err, users.ErrPhoneInUse):
		return &Error{Status: 409, Code: CodePhoneInUse, Message: "this phone number is bound to another user"}
	case errors.Is(err, users.ErrIdentityInUse):
		return &Error{Status: 409, Code: CodeIdentityInUse, Message: "this way in belongs to another user of this tenant; sign in there to use it"}
	case errors.Is(err, users.ErrLastWayIn):
		return &Error{Status: 409, Code: CodeLastIdentity, Message: "this is the user's last way to sign in; link another one first"}
	case errors.Is(err, users.ErrNoWayIn):
		return &Error{Status: 404, Code: CodeNotFound, Message: "this user has no way in of this id"}
	case errors.Is(err, signup.ErrInvalid):
		return &Error{Status: 400, Code: CodeInvalidTicket, Message: "the sign-up ticket is invalid, expired or already used; log in again"}
	case errors.As(err, &exceeded):
		return &Error{Status: 429, Code: CodeRateLimited, Message: "too many requests; retry later",
			RetryAfter: max(1, int(math.Ceil(exceeded.RetryAfter.Seconds())))}
	case errors.As(err, &forceLimited):
		return forceLimitedError(forceLimited)
	case errors.As(err, &we):
		return wechatError(we, err)
	case errors.Is(err, wechat.ErrUnavailable):
		return &Error{Status: 502, Code: CodeWeChatUnavailable, Message: "WeChat did not answer; try again", cause: err}
	case errors.Is(err, apikeys.ErrNotFound), errors.Is(err, webhooks.ErrNotFound):
		return &Error{Status: 404, Code: CodeNotFound, Message: "no such item"}
	case errors.Is(err, webhooks.ErrRefused):
		return badRequest("url points at a loopback, private, reserved or other non-public address; webhooks go to public addresses only")
	case errors.As(err, &tooSoon):
		return &Error{Status: 409, Code: CodeConflict, RetryAfter: max(1, int(time.Until(tooSoon.At).Seconds())),
			Message: "the next signing key was published too recently for every verifier to have it; rotate after " +
				tooSoon.At.UTC().Format(time.RFC3339)}
	case dependencyDown(err):
		return &Error{Status: 503, Code: CodeUnavailable, Message: "the service is temporarily unavailable; try again", cause: err}
	}
	return &Error{Status: 500, Code: CodeInternal, Message: "internal error", cause: err}
}

func wechatError(we *wechat.APIError, err error) *Error {
	if e := wechatRefusal(we, err); e != nil { // the same on every API (wechat_errors.go)
		return e
	}
	if e := wechatAPIError(we, err); e != nil { // APIs other than jscode2session (wechat_errors.go)
		return e
	}
	switch {
	case wechat.IsBadCode(err):
		return &Error{Status: 401, Code: CodeInvalidCode, Message: "the login code is invalid, expired or already used; call wx.login again"}
	case wechat.IsMisconfigured(err):
		return errMisconfigured(we, err)
	case wechat.IsRateLimited(err):
		return &Error{Status: 429, Code: CodeRateLimited, Message: "WeChat limits this user's logins; retry in a minute", RetryAfter: 60, cause: err}
	}
	return &Error{Status: 502, Code: CodeWeChatUnavailable, Message: "WeChat did not answer; try again", cause: err}
}

func fiberError(fe *fiber.Error) *Error {
	switch fe.Code {
	case fiber.StatusRequestEntityTooLarge:
		return &Error{Status: 413, Code: CodeRequestTooLarge, Message: "request body is larger than 64 KiB"}
	case fiber.StatusNotFound:
		return &Error{Status: 404, Code: CodeNotFound, Message: "no such endpoint"}
	case fiber.StatusMethodNotAllowed:
		return &Error{Status: 405, Code: CodeMethodNotAllowed, Message: "method not allowed"}
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return &Error{Status: 431, Code: CodeInvalidRequest, Message: "request headers are too large"}
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return &Error{Status: fe.Code, Code: CodeInvalidRequest, Message: "bad request"}
	}
	return &Error{Status: 500, Code: CodeInternal, Message: "internal error", cause: fe}
}

// dependencyDown recognises MySQL and Redis being unreachable, slow or
// restarting, as opposed to a bug.
func dependencyDown(err error) bool {
	var netErr net.Error
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, redis.ErrClosed),
		errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &me):
		// too many connections, lock wait timeout, deadlock, server shutdown, read-only
		switch me.Number {
		case 1040, 1205, 1213, 1053, 1290, 1836:
			return true
		}
	}
	return redisLoading(err)
}

// redisLoading: Redis answers LOADING while it reads its data back after a
// restart, and a replica may answer READONLY during a failover.
func redisLoading(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	return len(msg) >= 7 && (msg[:7] == "LOADING" || msg[:7] == "READONL" || msg[:7] == "CLUSTER" || msg[:7] == "TRYAGAI" || msg[:7] == "MASTERD")
}
