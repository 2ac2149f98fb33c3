package wechattest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

// TestOpenApps: Open Platform apps are added only with an open platform id
// and a known kind; SendAuth codes are for mobile apps only; openids differ
// per app and the unionid is the open platform's (wechat-api.md §7); Reset
// forgets the codes but keeps the apps.
func TestOpenApps(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := wechattest.New(wechattest.Options{Now: c.Now})
	for _, tt := range []struct{ name, openPlatform, kind string }{
		{"no open platform", "", wechattest.KindMobileApp},
		{"a mini-program", openPlatform, "miniprogram"},
		{"an official account", openPlatform, "officialaccount"},
	} {
		if err := s.AddOpenApp("wxopen0000000001", "secret-of-open-app-000001", tt.openPlatform, tt.kind); err == nil {
			t.Errorf("%s: added", tt.name)
		}
	}
	if err := s.AddOpenApp("wxapp0000000001", "secret-of-mobile-app-00001", openPlatform, wechattest.KindMobileApp); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOpenApp("wxweb0000000001", "secret-of-website-app-0001", openPlatform, wechattest.KindWebsite); err != nil {
		t.Fatal(err)
	}
	s.AddApp(appA, secretA, openPlatform)
	for _, appid := range []string{"wxweb0000000001", appA, "wxnope"} {
		if _, err := s.IssueAppCode(appid, "u"); !errors.Is(err, wechattest.ErrUnknownApp) {
			t.Errorf("SendAuth code for %s: %v", appid, err)
		}
	}
	for _, appid := range []string{"wxapp0000000001", "wxweb0000000001"} {
		if _, err := s.IssueCode(appid, "u"); !errors.Is(err, wechattest.ErrUnknownApp) {
			t.Errorf("wx.login code for Open Platform app %s: %v", appid, err)
		}
	}
	if _, err := s.IssueAppCode("wxapp0000000001", ""); err == nil {
		t.Error("SendAuth code for no user")
	}
	ids := map[string]bool{}
	for _, appid := range []string{appA, "wxapp0000000001", "wxweb0000000001"} {
		ids[s.OpenID(appid, "u")] = true
	}
	if len(ids) != 3 {
		t.Fatalf("openids of one user in three apps: %v, want three", ids)
	}
	code, err := s.IssueAppCode("wxapp0000000001", "u")
	if err != nil || len(code) != 32 {
		t.Fatalf("SendAuth code %q, %v", code, err)
	}
	s.Reset()
	q := url.Values{"appid": {"wxapp0000000001"}, "secret": {"secret-of-mobile-app-00001"}, "code": {code}, "grant_type": {"authorization_code"}}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sns/oauth2/access_token?"+q.Encode(), nil))
	if !strings.Contains(rec.Body.String(), `"errcode":40029`) {
		t.Fatalf("code after Reset: %s, want 40029", rec.Body)
	}
	if _, err := s.IssueAppCode("wxapp0000000001", "u"); err != nil {
		t.Fatalf("mobile app forgotten by Reset: %v", err)
	}
}
