package wechat_test

import (
	"fmt"
	"testing"

	"miniauth/tenants/wechat"
)

func TestErrcodePredicates(t *testing.T) {
	e := func(api string, code int) error {
		return fmt.Errorf("login: %w", &wechat.APIError{API: api, Code: code, Msg: "x"})
	}
	pred := map[string]func(error) bool{
		"IsBadCode":        wechat.IsBadCode,
		"IsUserFault":      wechat.IsUserFault,
		"IsMisconfigured":  wechat.IsMisconfigured,
		"IsStaleToken":     wechat.IsStaleToken,
		"IsUserBlocked":    wechat.IsUserBlocked,
		"IsQuotaExhausted": wechat.IsQuotaExhausted,
		"IsRateLimited":    wechat.IsRateLimited,
		"IsBadRequest":     wechat.IsBadRequest,
	}
	tests := []struct {
		err  error
		true []string // the predicates that hold; every other one must not
	}{
		{e(wechat.APICode2Session, wechat.CodeInvalidCode), []string{"IsBadCode", "IsUserFault"}},
		{e(wechat.APICode2Session, wechat.CodeCodeUsed), []string{"IsBadCode", "IsUserFault"}},
		{e(wechat.APIOAuthToken, wechat.CodeCodeExpired), []string{"IsBadCode", "IsUserFault"}},
		{e(wechat.APICode2Session, wechat.CodeMinuteLimit), []string{"IsUserFault", "IsRateLimited"}},
		{e(wechat.APICode2Session, wechat.CodeInvalidSecret), []string{"IsMisconfigured"}},
		{e(wechat.APICode2Session, wechat.CodeInvalidCredential), []string{"IsMisconfigured", "IsStaleToken"}},
		{e(wechat.APIStableToken, wechat.CodeAccountFrozen), []string{"IsMisconfigured"}},
		{e(wechat.APIPhoneNumber, wechat.CodeInvalidCredential), []string{"IsStaleToken"}},
		{e(wechat.APIOAuthToken, wechat.CodeInvalidCredential), []string{"IsStaleToken"}},
		{e(wechat.APICode2Session, wechat.CodeUserBlocked), []string{"IsUserBlocked"}},
		{e(wechat.APIStableToken, wechat.CodeDailyQuota), []string{"IsQuotaExhausted"}},
		{e(wechat.APIPhoneNumber, wechat.CodeBadFormat), []string{"IsBadRequest"}},
		{wechat.ErrUnavailable, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		holds := map[string]bool{}
		for _, name := range tt.true {
			holds[name] = true
		}
		for name, p := range pred {
			if got := p(tt.err); got != holds[name] {
				t.Errorf("%s(%v) = %v, want %v", name, tt.err, got, holds[name])
			}
		}
	}
}

func TestForApp(t *testing.T) {
	apiErr := fmt.Errorf("x: %w", &wechat.APIError{API: wechat.APICode2Session, Code: wechat.CodeInvalidSecret})
	if got := wechat.AppIDOf(wechat.ForApp("wxa", apiErr)); got != "wxa" {
		t.Errorf("AppIDOf(APIError) = %q, want wxa", got)
	}
	if got := wechat.AppIDOf(wechat.ForApp("wxb", apiErr)); got != "wxa" {
		t.Errorf("a second ForApp replaced the AppID: %q", got)
	}
	down := wechat.ForApp("wxc", wechat.ErrUnavailable)
	if got := wechat.AppIDOf(down); got != "wxc" {
		t.Errorf("AppIDOf(unavailable) = %q, want wxc", got)
	}
	if down.Error() != wechat.ErrUnavailable.Error() {
		t.Errorf("ForApp changed the text: %q", down)
	}
	if wechat.ForApp("wxd", nil) != nil {
		t.Error("ForApp(nil) is not nil")
	}
	if got := wechat.AppIDOf(wechat.ErrUnavailable); got != "" {
		t.Errorf("AppIDOf(no app) = %q", got)
	}
}
