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
	case we.Code == 40226:
		return &Error{Status: 403, Code: CodeWeChatUserBlocked, cause: err,
			Message: "微信已限制此账号登录小程序（高风险账号），请在微信中处理后再试 / WeChat has blocked this account from logging in to mini-programs"}
	case we.Code == 45009:
		y, m, d := time.Now().In(beijing).Date()
		wait := time.Until(time.Date(y, m, d+1, 0, 0, 0, 0, beijing))
		return &Error{Status: 429, Code: CodeWeChatQuotaExhausted, cause: err, RetryAfter: max(1, int(math.Ceil(wait.Seconds()))),
			Message: "this app has used up today's WeChat API quota (errcode 45009); it is restored at midnight Beijing time, or by clearing the quota on WeChat's platform"}
	case we.Code == 48001 && we.API == "userinfo":
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
	misconfigured := &Error{Status: 502, Code: CodeTenantMisconfigured,
		Message: "WeChat rejected this tenant's AppID or AppSecret (errcode " + strconv.Itoa(we.Code) + ")", cause: err}
	internal := &Error{Status: 500, Code: CodeInternal, Message: "internal error", cause: err}
	switch we.API {
	case "getuserphonenumber":
		switch we.Code {
		case 40029, 40013: // invalid, expired or used; or made for another mini-program
			return &Error{Status: 400, Code: CodeInvalidPhoneCode,
				Message: "the phone code is invalid, expired or already used; ask the user to tap the button again", cause: err}
		case 45011:
			return &Error{Status: 429, Code: CodeRateLimited, Message: "WeChat limits phone number requests; retry in a minute", RetryAfter: 60, cause: err}
		case 41001, 43002, 44002, 47001:
			return internal
		}
		return unavailable // -1, 40001/42001 after a renewal, anything new
	case "checksession":
		switch we.Code {
		case 41001, 87008:
			return internal
		}
		return unavailable
	case "stable_token", "token":
		switch we.Code {
		case 40013, 40125, 40164, 40243, 41002, 41004, 40001, 40002, 50004, 50007, 89501, 89503, 89506, 89507:
			return misconfigured
		case 43002, 44002, 47001:
			return internal
		}
		return unavailable // -1, 45011 (45009 is wechatRefusal's)
	case "oauth2/access_token":
		switch we.Code {
		case 40029, 40163, 42003:
			return &Error{Status: 401, Code: CodeInvalidCode, Message: "the authorization code is invalid, expired or already used; start again", cause: err}
		case 41008:
			return badRequest("code is required")
		case 40013, 40125, 40164, 41002, 41004, 40243:
			return misconfigured
		}
		return unavailable
	case "msg_sec_check":
		return unavailable // the check could not run; screenNickname decides what that means
	case "userinfo":
		return unavailable // 40001/42001/41001/40003/41009: our token, never the user's fault (48001 is wechatRefusal's)
	}
	return nil
}
