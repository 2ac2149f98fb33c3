package wechat

import (
	"errors"
	"slices"
)

// WeChat's errcodes that miniauth tells apart (wechat-api.md beside
// DESIGN.md). Callers test errors with the predicates below rather than
// with the numbers.
const (
	CodeBusy              = -1    // system error: busy, retry later
	CodeInvalidCredential = 40001 // access_token invalid or not latest; on the token APIs, the AppSecret
	CodeInvalidGrantType  = 40002
	CodeInvalidAppID      = 40013 // also: a phone code made for another mini-program
	CodeInvalidToken      = 40014
	CodeInvalidCode       = 40029 // unknown, expired or malformed code, or one for another AppID
	CodeInvalidSecret     = 40125
	CodeCodeUsed          = 40163
	CodeIPNotAllowed      = 40164 // the server's IP is not in the app's API IP whitelist
	CodeUserBlocked       = 40226 // a high-risk user WeChat does not let log in
	CodeSecretFrozen      = 40243
	CodeTokenMissing      = 41001
	CodeAppIDMissing      = 41002
	CodeSecretMissing     = 41004
	CodeCodeMissing       = 41008
	CodeTokenExpired      = 42001
	CodeCodeExpired       = 42003
	CodeRequirePOST       = 43002
	CodeEmptyBody         = 44002
	CodeDailyQuota        = 45009 // the app's daily API quota is spent
	CodeMinuteLimit       = 45011 // per-user (or per-app) minute limit
	CodeBadFormat         = 47001
	CodeUnauthorized      = 48001 // the app (or the OAuth scope) may not call this API
	CodeTokenAPIForbidden = 50004
	CodeAccountFrozen     = 50007
	CodeBadSigMethod      = 87008
	CodeIPAwaitingAdmin   = 89501
	CodeIPNeedsAdmin      = 89503
	CodeIPRefused24h      = 89506
	CodeIPRefused1h       = 89507
)

// The APIs whose errcodes depend on the API (APIError.API).
const (
	APICode2Session = "jscode2session"
	APIStableToken  = "stable_token"
	APIToken        = "token"
	APIPhoneNumber  = "getuserphonenumber"
	APICheckSession = "checksession"
	APIOAuthToken   = "oauth2/access_token"
	APIUserInfo     = "userinfo"
	APIMsgSecCheck  = "msg_sec_check"
)

// badCode: a single-use code that cannot be spent (again).
var badCode = []int{CodeInvalidCode, CodeCodeUsed, CodeCodeExpired}

// credential: WeChat refused the AppID, the AppSecret or the calling IP,
// whatever the API that takes them.
var credential = []int{CodeInvalidAppID, CodeInvalidSecret, CodeIPNotAllowed, CodeSecretFrozen, CodeAppIDMissing, CodeSecretMissing}

// tokenAccount: what the token APIs add: the account or its IP refused.
var tokenAccount = []int{CodeInvalidCredential, CodeInvalidGrantType, CodeTokenAPIForbidden, CodeAccountFrozen,
	CodeIPAwaitingAdmin, CodeIPNeedsAdmin, CodeIPRefused24h, CodeIPRefused1h}

// staleToken: the access_token the call used is no longer good.
var staleToken = []int{CodeInvalidCredential, CodeInvalidToken, CodeTokenExpired}

// apiError returns err's *APIError, or nil.
func apiError(err error) *APIError {
	var e *APIError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsBadCode reports whether WeChat refused a user's code: invalid,
// expired or already used. A fresh code from the client is the remedy.
func IsBadCode(err error) bool {
	e := apiError(err)
	return e != nil && slices.Contains(badCode, e.Code)
}

// IsUserFault reports whether a failure is the user's (or their client's)
// doing rather than the app's or WeChat's: a bad code, or the user calling
// too often. Nothing about the tenant's setup needs attention.
func IsUserFault(err error) bool {
	return IsBadCode(err) || IsCode(err, CodeMinuteLimit)
}

// IsMisconfigured reports whether WeChat rejected the app's AppID or
// AppSecret, or the server's IP: something only the tenant's admins can
// fix. 40001 counts where the AppSecret is a parameter (jscode2session and
// the token APIs); elsewhere it means a stale access_token (IsStaleToken).
func IsMisconfigured(err error) bool {
	e := apiError(err)
	if e == nil {
		return false
	}
	switch e.API {
	case APIStableToken, APIToken:
		return slices.Contains(credential, e.Code) || slices.Contains(tokenAccount, e.Code)
	case APICode2Session:
		return slices.Contains(credential, e.Code) || e.Code == CodeInvalidCredential
	}
	return slices.Contains(credential, e.Code)
}

// IsStaleToken reports whether the access_token a call used is invalid,
// not the latest or expired: renewing it and calling again may succeed.
func IsStaleToken(err error) bool {
	e := apiError(err)
	return e != nil && slices.Contains(staleToken, e.Code)
}

// IsUserBlocked reports errcode 40226: WeChat does not let this
// (high-risk) user log in, and a fresh code is blocked too.
func IsUserBlocked(err error) bool { return IsCode(err, CodeUserBlocked) }

// IsQuotaExhausted reports errcode 45009: the app's daily quota is spent.
func IsQuotaExhausted(err error) bool { return IsCode(err, CodeDailyQuota) }

// IsRateLimited reports errcode 45011: too many calls this minute.
func IsRateLimited(err error) bool { return IsCode(err, CodeMinuteLimit) }

// IsBadRequest reports the errcodes that mean miniauth built the request
// wrongly (a missing token, GET for POST, an empty or malformed body).
func IsBadRequest(err error) bool {
	return IsCode(err, CodeTokenMissing, CodeRequirePOST, CodeEmptyBody, CodeBadFormat)
}

// ForApp records appid as the app a failed call was made for: on a
// *APIError that names none, or by wrapping any other error. It returns
// nil for nil.
func ForApp(appid string, err error) error {
	if err == nil || appid == "" || AppIDOf(err) != "" {
		return err
	}
	if e := apiError(err); e != nil {
		e.AppID = appid
		return err
	}
	return &appError{appid: appid, err: err}
}

// AppIDOf returns the AppID a WeChat failure was for, or "" if unknown.
func AppIDOf(err error) string {
	if e := apiError(err); e != nil && e.AppID != "" {
		return e.AppID
	}
	var ae *appError
	if errors.As(err, &ae) {
		return ae.appid
	}
	return ""
}

// appError carries the AppID of a failure that is not an errcode
// (ErrUnavailable); its text is the cause's.
type appError struct {
	appid string
	err   error
}

func (e *appError) Error() string { return e.err.Error() }
func (e *appError) Unwrap() error { return e.err }
