package wechattest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

// Three mini-programs: A and B bound to one open platform account, C unbound.
const (
	appA, secretA = "wx00000000000000a1", "secret-of-app-a-0000000000000001"
	appB, secretB = "wx00000000000000b2", "secret-of-app-b-0000000000000002"
	appC, secretC = "wx00000000000000c3", "secret-of-app-c-0000000000000003"
	openPlatform  = "open-platform-1"
)

var ridSuffix = regexp.MustCompile(`, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// clock is a settable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t     *testing.T
	fake  *wechattest.Server
	srv   *httptest.Server
	url   string
	clock *clock
}

// newFixture serves a fake with apps A, B, C over real HTTP.
func newFixture(t *testing.T, opts wechattest.Options) *fixture {
	t.Helper()
	c := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	fake := wechattest.New(opts)
	fake.AddApp(appA, secretA, openPlatform)
	fake.AddApp(appB, secretB, openPlatform)
	fake.AddApp(appC, secretC, "")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return &fixture{t: t, fake: fake, srv: srv, url: srv.URL, clock: c}
}

// response is an HTTP answer with its body decoded as a JSON object.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// errcode returns the body's errcode, 0 when absent.
func (r response) errcode() int {
	n, _ := r.body["errcode"].(float64)
	return int(n)
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (f *fixture) do(method, path, body string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body) // garbage stays nil; tests check raw
	return r
}

// code2Session calls sns/jscode2session with the given query.
func (f *fixture) code2Session(q url.Values) response {
	f.t.Helper()
	return f.do(http.MethodGet, "/sns/jscode2session?"+q.Encode(), "")
}

// login redeems code in appid.
func (f *fixture) login(appid, secret, code string) response {
	f.t.Helper()
	return f.code2Session(url.Values{
		"appid": {appid}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"},
	})
}

func (f *fixture) issue(appid, user string) string {
	f.t.Helper()
	code, err := f.fake.IssueCode(appid, user)
	if err != nil {
		f.t.Fatal(err)
	}
	return code
}

// wantError checks a WeChat error answer: HTTP 200, errcode, errmsg text
// followed by a request id.
func wantError(t *testing.T, r response, code int, msg string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("status = %d, want 200", r.status)
	}
	if r.errcode() != code {
		t.Fatalf("errcode = %d, want %d (body %s)", r.errcode(), code, r.raw)
	}
	if got := r.str("errmsg"); !strings.HasPrefix(got, msg+", rid: ") || !ridSuffix.MatchString(got) {
		t.Errorf("errmsg = %q, want %q with a rid", got, msg)
	}
}
