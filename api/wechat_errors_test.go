package api

import (
	"fmt"
	"testing"

	"miniauth/tenants/wechat"
)

// TestWeChatErrcodes maps every errcode WeChat documents for the APIs
// used after login (and code2session's 40226, the quota's 45009) to the answer
// docs/registration.md and the README document.
func TestWeChatErrcodes(t *testing.T) {
	type want struct {
		status int
		code   string
	}
	var (
		unavailable   = want{502, CodeWeChatUnavailable}
		misconfigured = want{502, CodeTenantMisconfigured}
		internal      = want{500, CodeInternal}
		limited       = want{429, CodeRateLimited}
		quota         = want{429, CodeWeChatQuotaExhausted}
	)
	table := map[string]map[int]want{
		"getuserphonenumber": {
			-1: unavailable, 40029: {400, CodeInvalidPhoneCode}, 40013: {400, CodeInvalidPhoneCode}, 45011: limited, 45009: quota,
			40001: unavailable, 42001: unavailable, 41001: internal, 47001: internal, 44002: internal, 43002: internal,
		},
		"checksession": {
			-1: unavailable, 40001: unavailable, 42001: unavailable, 41001: internal, 87008: internal,
		},
		"stable_token": {
			-1: unavailable, 40002: misconfigured, 40013: misconfigured, 40125: misconfigured, 40164: misconfigured,
			41002: misconfigured, 41004: misconfigured, 43002: internal, 45009: quota, 45011: unavailable,
			89503: misconfigured, 89506: misconfigured, 89507: misconfigured, 40001: misconfigured, 40243: misconfigured,
			50004: misconfigured, 50007: misconfigured, 89501: misconfigured,
		},
		"oauth2/access_token": {
			-1: unavailable, 40029: {401, CodeInvalidCode}, 40163: {401, CodeInvalidCode}, 42003: {401, CodeInvalidCode},
			41008: {400, CodeInvalidRequest}, 40013: misconfigured, 40125: misconfigured, 40164: misconfigured,
			41002: misconfigured, 41004: misconfigured,
		},
		"userinfo": {
			-1: unavailable, 40001: unavailable, 42001: unavailable, 41001: unavailable, 40003: unavailable,
			41009: unavailable, 48001: {403, CodeSnapshotUser},
		},
		// code2session: 40226 is a high-risk user WeChat blocks, not a bad code.
		"jscode2session": {
			-1: unavailable, 40029: {401, CodeInvalidCode}, 40163: {401, CodeInvalidCode}, 40226: {403, CodeWeChatUserBlocked},
			45011: limited, 45009: quota, 40125: misconfigured,
		},
		"token": {45009: quota, 40001: misconfigured},
	}
	for api, codes := range table {
		for code, w := range codes {
			t.Run(fmt.Sprintf("%s %d", api, code), func(t *testing.T) {
				e := classify(fmt.Errorf("call: %w", &wechat.APIError{API: api, Code: code, Msg: "x"}))
				if e.Status != w.status || e.Code != w.code {
					t.Fatalf("%d %s, want %d %s", e.Status, e.Code, w.status, w.code)
				}
				if w.status == 429 && e.RetryAfter == 0 {
					t.Fatal("429 without Retry-After")
				}
			})
		}
	}
}
