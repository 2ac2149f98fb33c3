package api

import (
	"strconv"

	"miniauth/tenants/wechat"
)

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
		return unavailable // -1, 45009 daily quota, 45011
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
		return unavailable // 40001/42001/41001/40003/41009/48001: our token or scope, never the user's fault
	}
	return nil
}
