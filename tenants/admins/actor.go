package admins

import (
	"errors"
	"fmt"
	"time"

	"miniauth/tenants/audit"
)

// Errors of admin accounts and MFA. None of them, nor any error of this
// package, holds a password, code, secret or token.
var (
	ErrForbidden           = errors.New("admins: only a platform admin may do this")
	ErrLastPlatformAdmin   = errors.New("admins: the last active platform admin cannot be disabled or removed")
	ErrInvalidInvite       = errors.New("admins: the invite is unknown, used or expired")
	ErrMFARequired         = errors.New("admins: a current code from the authenticator is required")
	ErrInvalidSecondFactor = errors.New("admins: wrong, used or expired authentication code")
	ErrMFANotEnrolled      = errors.New("admins: MFA is not on for this admin")
	ErrMFAAlreadyEnrolled  = errors.New("admins: MFA is already on for this admin")
	ErrNoPendingEnrolment  = errors.New("admins: no MFA enrolment is waiting for confirmation")
	ErrEnrolmentRequired   = errors.New("admins: MFA must be set up before the console can be used")
	ErrNoMFAPending        = errors.New("admins: the sign-in expired or is unknown; sign in again")
	ErrLockedOut           = errors.New("admins: too many failed attempts; wait before trying again")
)

// WaitError is a refusal because of the lockout: the caller must wait
// Wait before the next attempt (Retry-After). It matches ErrLockedOut.
type WaitError struct{ Wait time.Duration }

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s (%s)", ErrLockedOut, e.Wait.Round(time.Second))
}

// Is makes errors.Is(err, ErrLockedOut) true.
func (e *WaitError) Is(target error) bool { return target == ErrLockedOut }

// Actor is a signed-in admin acting in the console. Unlike audit.Actor
// it carries the admin's row, whose role decides what it may do, and the
// console session it acts from (changing one's password keeps it).
type Actor struct {
	Admin   *Admin
	Session *ConsoleSession // nil when acting from no console session
	IP      string
}

// Audit is the actor as the audit log names it.
func (a Actor) Audit() audit.Actor {
	return audit.Actor{Type: "admin", ID: a.Admin.Email, IP: a.IP}
}

func (a Actor) platform() bool {
	return a.Admin != nil && a.Admin.Role == RolePlatform && a.Admin.Status == "active"
}
