package api

import (
	"errors"
	"math"

	"miniauth/tenants/admins"
)

// adminAccountError maps the errors of admin accounts, MFA and the
// lockout (tenants/admins) to the API's; nil for any other error. No
// message says which part of a sign-in was wrong beyond what the client
// already knows.
func adminAccountError(err error) *Error {
	var wait *admins.WaitError
	switch {
	case errors.As(err, &wait):
		return &Error{Status: 429, Code: CodeRateLimited, RetryAfter: max(1, int(math.Ceil(wait.Wait.Seconds()))),
			Message: "too many failed attempts; wait before trying again"}
	case errors.Is(err, admins.ErrInvalidSecondFactor):
		return &Error{Status: 400, Code: CodeInvalidMFACode, Message: "wrong, used or expired authentication code"}
	case errors.Is(err, admins.ErrNoMFAPending):
		return &Error{Status: 401, Code: CodeInvalidMFAToken, Message: "the sign-in expired or is unknown; sign in again"}
	case errors.Is(err, admins.ErrMFARequired):
		return badRequest("a current code from the authenticator app, or a recovery code, is required")
	case errors.Is(err, admins.ErrEnrolmentRequired):
		return errEnrolmentRequired
	case errors.Is(err, admins.ErrMFAAlreadyEnrolled):
		return &Error{Status: 409, Code: CodeMFAAlreadyEnabled, Message: "MFA is already on; turn it off first to set up another authenticator"}
	case errors.Is(err, admins.ErrMFANotEnrolled):
		return &Error{Status: 409, Code: CodeMFANotEnabled, Message: "MFA is not on for this admin"}
	case errors.Is(err, admins.ErrNoPendingEnrolment):
		return &Error{Status: 409, Code: CodeMFAEnrolmentExpired, Message: "no MFA set-up is waiting for its first code; start again"}
	case errors.Is(err, admins.ErrBadPassword):
		return &Error{Status: 403, Code: CodeWrongPassword, Message: "the current password is wrong"}
	case errors.Is(err, admins.ErrLastPlatformAdmin):
		return &Error{Status: 409, Code: CodeLastPlatformAdmin, Message: "the last active platform admin cannot be disabled or removed"}
	case errors.Is(err, admins.ErrInvalidInvite):
		return &Error{Status: 400, Code: CodeInvalidInvite, Message: "the invite link is unknown, used or expired; ask for a new one"}
	case errors.Is(err, admins.ErrForbidden):
		return errForbidden
	}
	return nil
}

var errEnrolmentRequired = &Error{Status: 401, Code: CodeMFAEnrolmentRequired,
	Message: "the platform requires MFA of platform admins: set it up first"}
