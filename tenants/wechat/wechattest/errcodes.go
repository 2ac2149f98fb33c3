package wechattest

// WeChat errcodes the fake answers, with the errmsg text WeChat sends.
const (
	codeSystemError  = -1
	codeBadToken     = 40001
	codeBadOpenID    = 40003
	codeNoToken      = 41001
	codeNoOpenID     = 41009
	codeTokenExpired = 42001
	codeUnauthorized = 48001
	codeBadSigMethod = 87008
	codeBadSignature = 87009
	codeInvalidGrant = 40002
	codeInvalidAppID = 40013
	codeInvalidCode  = 40029
	codeBadSecret    = 40125
	codeCodeUsed     = 40163
	codeNoAppID      = 41002
	codeNoSecret     = 41004
	codeNoCode       = 41008
	codeRequirePOST  = 43002
	codeEmptyPost    = 44002
	codeMinuteQuota  = 45011
	codeDataFormat   = 47001
)

var errmsgs = map[int]string{
	codeSystemError:  "system error",
	codeBadToken:     "invalid credential, access_token is invalid or not latest",
	codeBadOpenID:    "invalid openid",
	codeNoToken:      "access_token missing",
	codeNoOpenID:     "missing openid",
	codeTokenExpired: "access_token expired",
	codeUnauthorized: "api unauthorized",
	codeBadSigMethod: "invalid sig_method",
	codeBadSignature: "invalid signature",
	codeInvalidGrant: "invalid grant_type",
	codeInvalidAppID: "invalid appid",
	codeInvalidCode:  "invalid code",
	codeBadSecret:    "invalid appsecret",
	codeCodeUsed:     "code been used",
	codeNoAppID:      "appid missing",
	codeNoSecret:     "appsecret missing",
	codeNoCode:       "missing code",
	codeRequirePOST:  "require POST method",
	codeEmptyPost:    "empty post data",
	codeMinuteQuota:  "api minute-quota reach limit mustslower retry next minute",
	codeDataFormat:   "data format error",

	codeBadScene:       "invalid scene",
	codeOpenIDOtherApp: "appid and openid not match",
	codePostOnly:       "method must be POST",
	codeVisitExpired:   "code is expired",
	codeRiskyContentV1: "risky content",
}

// errorBody is WeChat's error envelope; errmsg ends with a request id as
// the real one does, so clients cannot get away with matching on it.
func errorBody(code int) map[string]any {
	return map[string]any{"errcode": code, "errmsg": errmsg(code) + ", rid: " + newRID()}
}
