package wechattest

// Errcodes played by rules, user flags and the token limits, with the
// errmsg WeChat sends (see docs/wechat.md).
const (
	codeBadAccessToken = 40014
	codeBlocked        = 40226
	codeDailyQuota     = 45009
)

var moreErrmsgs = map[int]string{
	codeBadAccessToken: "invalid access_token",
	codeBlocked:        "code blocked",
	codeDailyQuota:     "reach max api daily quota limit",
	40164:              "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist",
	40243:              "AppSecret已被冻结，请解冻后再次调用。",
	42003:              "oauth_code expired",
	50004:              "禁止使用 token 接口",
	50007:              "账号已冻结",
}

// errmsg is WeChat's text for code; a code the fake does not know (one a
// rule injects) gets a neutral one.
func errmsg(code int) string {
	if m, ok := errmsgs[code]; ok {
		return m
	}
	if m, ok := moreErrmsgs[code]; ok {
		return m
	}
	return "simulated error"
}
