package api

import (
	"math"
	"strconv"
	"time"

	"miniauth/tenants/tokens"
	"miniauth/tenants/wechat"
)

// beijing is where WeChat's days end.
var beijing = time.FixedZone("CST", 8*3600)

// wechatRefusal maps the errcodes that mean the same whatever the API:
// a user WeChat blocks, an app whose daily quota is spent.
func wechatRefusal(we *wechat.APIError, err error) *Error {
	switch {
	case we.Code == wechat.CodeUserBlocked:
		return &Error{Status: 403, Code: CodeWeChatUserBlocked, cause: err,
			Message: "微信已限制此账号登录小程序（高风险账号），请在微信中处理后再试 / WeChat has blocked this account from logging in to mini-programs"}
	case we.Code == wechat.CodeDailyQuota:
		y, m, d := time.Now().In(beijing).Date()
		wait := time.Until(time.Date(y, m, d+1, 0, 0, 0, 0, beijing))
		return &Error{Status: 429, Code: CodeWeChatQuotaExhausted, cause: err, RetryAfter: max(1, int(math.Ceil(wait.Seconds()))),
			Message: "this app has used up today's WeChat API quota (errcode 45009); it is restored at midnight Beijing time, or by clearing the quota on WeChat's platform"}
	case we.Code == wechat.CodeUnauthorized && we.API == wechat.APIUserInfo:
		return errSnapshotUser(err)
	}
	return nil
}

// errSnapshotUser refuses a web OAuth user whose ids are virtual
// (is_snapshotuser, or a profile WeChat will not give).
func errSnapshotUser(cause error) *Error {
	return &Error{Status: 403, Code: CodeSnapshotUser, cause: cause,
		Message: "the page was opened as a WeChat snapshot page; tap 使用完整服务 (use the full service) and sign in again"}
}

// forceLimitedError answers a forced access-token refresh that WeChat's
// limits do not allow now.
func forceLimitedError(e *tokens.ForceLimitedError) *Error {
	msg := "this app's WeChat access token was force-refreshed less than 30 seconds ago; WeChat ignores closer refreshes"
	if e.Daily {
		msg = "this app's WeChat access token was force-refreshed " + strconv.Itoa(e.Budget) + " times today, WeChat's daily limit"
	}
	return &Error{Status: 429, Code: CodeRateLimited, Message: msg, RetryAfter: max(1, int(math.Ceil(e.RetryAfter.Seconds())))}
}

// wechatAPIError maps the errcodes of the WeChat APIs used after login
// (phone numbers, checksession, access tokens, web OAuth) to the answers
// documented in docs/registration.md. It returns nil for jscode2session,
// which wechatError maps.
func wechatAPIError(we *wechat.APIError, err error) *Error {
	unavailable := &Error{Status: 502, Code: CodeWeChatUnavailable, Message: "WeChat did not answer; try again", cause: err}
	internal := &Error{Status: 500, Code: CodeInternal, Message: "internal error", cause: err}
	switch we.API {
	case wechat.APIPhoneNumber:
		switch {
		case wechat.IsCode(err, wechat.CodeInvalidCode, wechat.CodeInvalidAppID): // invalid, expired or used; or made for another mini-program
			return &Error{Status: 400, Code: CodeInvalidPhoneCode,
				Message: "the phone code is invalid, expired or already used; ask the user to tap the button again", cause: err}
		case wechat.IsRateLimited(err):
			return &Error{Status: 429, Code: CodeRateLimited, Message: "WeChat limits phone number requests; retry in a minute", RetryAfter: 60, cause: err}
		case wechat.IsBadRequest(err):
			return internal
		}
		return unavailable // -1, 40001/42001 after a renewal, anything new
	case wechat.APICheckSession:
		if wechat.IsCode(err, wechat.CodeTokenMissing, wechat.CodeBadSigMethod) {
			return internal
		}
		return unavailable
	case wechat.APIStableToken, wechat.APIToken:
		switch {
		case wechat.IsMisconfigured(err):
			return errMisconfigured(we, err)
		case wechat.IsBadRequest(err):
			return internal
		}
		return unavailable // -1, 45011 (45009 is wechatRefusal's)
	case wechat.APIOAuthToken:
		switch {
		case wechat.IsBadCode(err):
			return &Error{Status: 401, Code: CodeInvalidCode, Message: "the authorization code is invalid, expired or already used; start again", cause: err}
		case wechat.IsCode(err, wechat.CodeCodeMissing):
			return badRequest("code is required")
		case wechat.IsMisconfigured(err):
			return errMisconfigured(we, err)
		}
		return unavailable
	case wechat.APIMsgSecCheck:
		return unavailable // the check could not run; screenNickname decides what that means
	case wechat.APIUserInfo:
		return unavailable // 40001/42001/41001/40003/41009: our token, never the user's fault (48001 is wechatRefusal's)
	}
	return nil
}

// errMisconfigured: WeChat rejected the tenant's AppID or AppSecret (or
// the server's IP), which only the tenant's admins can fix.
func errMisconfigured(we *wechat.APIError, err error) *Error {
	return &Error{Status: 502, Code: CodeTenantMisconfigured,
		Message: "WeChat rejected this tenant's AppID or AppSecret (errcode " + strconv.Itoa(we.Code) + ")", cause: err}
}
