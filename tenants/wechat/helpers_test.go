package wechat_test

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

// A bound and an unbound app; the secrets are distinctive so that a leak
// into an error string cannot go unnoticed.
const (
	appID, appSecret         = "wx1111111111111111", "S3CRET-bound-app-never-in-errors"
	loneAppID, loneAppSecret = "wx2222222222222222", "S3CRET-lone-app-never-in-errors"
	openPlatform             = "open-platform-x"
)

// fake serves a wechattest server over real HTTP.
type fake struct {
	*wechattest.Server
	url string
	mu  sync.Mutex
	now time.Time
}

// clockAdd moves the fake's clock (when the test did not bring its own).
func (f *fake) clockAdd(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func newFake(t *testing.T, opts wechattest.Options) *fake {
	t.Helper()
	f := &fake{now: time.Now()}
	if opts.Now == nil {
		opts.Now = func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
	}
	s := wechattest.New(opts)
	s.AddApp(appID, appSecret, openPlatform)
	s.AddApp(loneAppID, loneAppSecret, "")
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	f.Server, f.url = s, srv.URL
	return f
}

func (f *fake) code(t *testing.T, appid, user string) string {
	t.Helper()
	code, err := f.IssueCode(appid, user)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// newClient has timeouts long enough that a slow or starved machine never
// times out a healthy fake; fault tests that need a timeout set their own.
func newClient(url string) *wechat.Client {
	return wechat.New(wechat.Config{
		BaseURL:        url,
		AttemptTimeout: 2 * time.Second,
		TotalTimeout:   4 * time.Second,
		RetryDelay:     time.Millisecond,
	})
}

// wantClean fails unless err is an error whose text shows none of secrets.
func wantClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want an error")
	}
	for _, s := range append(secrets, appSecret, loneAppSecret) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals %q", err, s)
		}
	}
}
