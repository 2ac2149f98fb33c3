package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"miniauth/tenants/tenantstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	tenantstest.CleanupProcs() // the binaries TestBrowserModule built
	os.Exit(code)
}

// The apps of the browser module's test tenant, in the simulator and in miniauth.
const (
	jsAppID     = "wx7a5e000000000001"
	jsAppSecret = "js-app-secret-0123456789"
	jsOAID      = "wx7a5e0000000000a1"
	jsOASecret  = "js-oa-secret-0123456789"
	jsRedirect  = "https://www.acme.test/signed-in"
	// The tenant's iOS/Android app and website, on the mini-program's open platform.
	jsMobileID     = "wx7a5e0000000000b1"
	jsMobileSecret = "js-mobile-secret-0123456789"
	jsWebID        = "wx7a5e0000000000c1"
	jsWebSecret    = "js-web-secret-0123456789"
	jsPlatform     = "open-js"
	// The tenant's SMS account in the SMS simulator (a simulator's, not a secret).
	jsSMSID     = "AKIDjs000000000000000000000000000000"
	jsSMSKey    = "js-smsmock-secret-key-0123456789"
	jsSMSAppID  = "1400000077"
	jsSMSTenant = "texts" // a tenant with SMS set up; acme has none
	jsSMSMpID   = "wx7a5e0000000000d1"
	jsSMSMpKey  = "js-texts-secret-0123456789"
)

// TestBrowserModule runs the browser module's tests (js/test/*.test.mjs,
// Node's test runner) against the miniauth and wxmock binaries on free
// ports, with MariaDB and Redis: a tenant with a mini-program (whose
// wx.login codes the tests get from the simulator to sign in) and an
// official account, a mobile app and a website on one open platform, and
// tenant texts with SMS through the SMS simulator. Request shapes and the
// errors hard to provoke for real are tested against js/test/fakeminiauth.cjs. Then a page in headless Chromium signs in with
// the module by the website's QR login and uses the session across
// origins, under a strict CSP.
func TestBrowserModule(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("MINIAUTH_TEST_REQUIRE_NODE") != "" {
			t.Fatal("node is not installed; the browser module's tests need Node 20 or later")
		}
		t.Skip("node is not installed; the browser module's tests need Node 20 or later")
	}
	page := modulePage(t)
	wxURL := startWxmock(t)
	smsURL := startSmsmock(t)
	base := startMiniauth(t, wxURL, smsURL, page.URL)

	dir, err := filepath.Abs("js")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "test", "*.test.mjs"))
	if len(files) == 0 {
		t.Fatal("no browser module tests found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a deadline, not an expectation
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MINIAUTH_URL="+base, "WXMOCK_URL="+wxURL, "MINIAUTH_TENANT=acme",
		"MINIAUTH_APPID="+jsAppID, "MINIAUTH_OA_APPID="+jsOAID, "MINIAUTH_REDIRECT_URI="+jsRedirect,
		"MINIAUTH_MOBILE_APPID="+jsMobileID, "MINIAUTH_WEB_APPID="+jsWebID,
		"SMSMOCK_URL="+smsURL, "MINIAUTH_SMS_TENANT="+jsSMSTenant, "MINIAUTH_SMS_APPID="+jsSMSMpID)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "fail 0") || !strings.Contains(string(out), "skipped 0") {
		t.Fatalf("unexpected node --test summary:\n%s", out)
	}
	t.Logf("node --test:\n%s", out)

	t.Run("chromium", func(t *testing.T) { moduleInChromium(t, page.URL, base) })
}

// modulePage serves testdata/jsmodule.html and .js and the module beside
// them, under the CSP a tenant's page should have: scripts of its own
// origin only, requests to miniauth only (on this host, any port: the
// servers' ports are not known yet).
func modulePage(t *testing.T) *httptest.Server {
	t.Helper()
	files := map[string]string{"/jsmodule.html": "testdata/jsmodule.html", "/jsmodule.js": "testdata/jsmodule.js", "/miniauth.js": "js/miniauth.js"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src http://127.0.0.1:*; base-uri 'none'; form-action 'none'")
		if strings.HasSuffix(name, ".js") {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		http.ServeFile(w, r, name)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// moduleInChromium opens the page, which starts the website's QR login
// with the module, comes back through WeChat's (the simulator's) qrconnect
// page and miniauth's callback, and reports what it saw.
func moduleInChromium(t *testing.T, pageURL, base string) {
	ctx := chromium(t)
	// The website's QR login (snsapi_login): the simulator's qrconnect page scans and confirms at once.
	start := pageURL + "/jsmodule.html?" + url.Values{"auth": {base}, "tenant": {"acme"}, "appid": {jsWebID}, "scope": {"snsapi_login"}}.Encode()
	if err := chromedp.Do(ctx, chromedp.Navigate(start)); err != nil {
		t.Fatal(err)
	}
	// A deadline, not an expectation: three redirects and five requests on a starved machine.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(document.body && document.body.dataset.result)`, chromedp.WithPollingTimeout(3*time.Minute))); err != nil {
		t.Fatalf("the page reported nothing: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.result`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Problem     string   `json:"problem"`
		Problems    []string `json:"problems"`
		UserID      string   `json:"user_id"`
		IsNew       bool     `json:"is_new"`
		HrefAfter   string   `json:"href_after"`
		Stored      bool     `json:"stored"`
		MeStatus    int      `json:"me_status"`
		MeID        string   `json:"me_id"`
		RequestID   string   `json:"request_id"`
		JWTParts    int      `json:"jwt_parts"`
		TokenError  string   `json:"token_error"`
		AfterLogout *string  `json:"after_logout"`
		DeadStatus  int      `json:"dead_status"`
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("result %q: %v", raw, err)
	}
	switch {
	case r.Problem != "" || len(r.Problems) > 0:
		t.Fatalf("the page failed: %s %v", r.Problem, r.Problems)
	case !strings.HasPrefix(r.UserID, "u_") || !r.IsNew || r.MeID != r.UserID || !r.Stored:
		t.Fatalf("signed in as %q (new %v), /me says %q, stored %v", r.UserID, r.IsNew, r.MeID, r.Stored)
	case strings.Contains(r.HrefAfter, "#") || strings.Contains(r.HrefAfter, "session"):
		t.Fatalf("the session stayed in the address bar: %s", r.HrefAfter)
	case r.MeStatus != 200 || r.RequestID == "":
		t.Fatalf("GET /me across origins: %d, X-Request-Id %q (exposed by CORS)", r.MeStatus, r.RequestID)
	case r.AfterLogout != nil || r.DeadStatus != 401:
		t.Fatalf("after logout: stored %v, the old session answered %d", r.AfterLogout, r.DeadStatus)
	}
	t.Run("token", func(t *testing.T) { // POST /token answers pages on the tenant's origins (CORS)
		if r.TokenError != "" || r.JWTParts != 3 {
			t.Fatalf("getAccessToken across origins: %q, a token of %d parts", r.TokenError, r.JWTParts)
		}
	})
}

// startWxmock runs the simulator with the tenant's mini-program, official
// account, mobile app and website; it answers on the returned URL.
func startWxmock(t *testing.T) string {
	t.Helper()
	bin := tenantstest.Build(t, "miniauth/cmd/wxmock")
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	p := tenantstest.StartProcess(t, bin, []string{"--addr", addr}, []string{
		"WXMOCK_APPS=" + jsAppID + ":" + jsAppSecret + ":" + jsPlatform + "," + jsSMSMpID + ":" + jsSMSMpKey, "WXMOCK_OFFICIAL_ACCOUNTS=" + jsOAID + ":" + jsOASecret,
		"WXMOCK_OPEN_APPS=" + jsMobileID + ":" + jsMobileSecret + ":" + jsPlatform + ":mobileapp," + jsWebID + ":" + jsWebSecret + ":" + jsPlatform + ":website"})
	waitOK(t, p, "http://"+addr+"/mock/faults")
	return "http://" + addr
}

// startSmsmock runs the SMS simulator with the SMS tenant's Tencent account.
func startSmsmock(t *testing.T) string {
	t.Helper()
	bin := tenantstest.Build(t, "miniauth/cmd/smsmock")
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	p := tenantstest.StartProcess(t, bin, []string{"--addr", addr},
		[]string{"SMSMOCK_TENCENT=" + jsSMSID + ":" + jsSMSKey + ":" + jsSMSAppID})
	waitOK(t, p, "http://"+addr+"/mock/stats")
	return "http://" + addr
}

// startMiniauth migrates a database of its own, creates tenant acme with
// its apps, redirect URIs and web origins (page's among them) and budgets
// no test run can spend, and tenant texts with SMS through the simulator,
// and runs `miniauth serve` against the simulators.
func startMiniauth(t *testing.T, wxURL, smsURL, page string) string {
	t.Helper()
	bin := tenantstest.Build(t, "miniauth/cmd/miniauth")
	db, dsn := tenantstest.DB(t)
	_, prefix := tenantstest.Redis(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	env := []string{
		"MINIAUTH_MYSQL_DSN=" + dsn, "MINIAUTH_REDIS_URL=" + tenantstest.RedisURL(), "MINIAUTH_REDIS_PREFIX=" + prefix,
		"MINIAUTH_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key),
		"MINIAUTH_WECHAT_BASE_URL=" + wxURL, "MINIAUTH_WECHAT_AUTH_URL=" + wxURL, "MINIAUTH_SMS_TENCENT_ENDPOINT=" + smsURL,
		"MINIAUTH_PUBLIC_URL=http://" + addr, "MINIAUTH_ADDR=" + addr, "MINIAUTH_METRICS_ADDR=off", "MINIAUTH_LOG_LEVEL=warn",
	}
	cli := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("miniauth %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cli(jsAppSecret+"\n", "tenant", "create", "--slug", "acme", "--name", "Acme", "--appid", jsAppID)
	cli(jsOASecret+"\n", "tenant", "add-app", "--slug", "acme", "--kind", "officialaccount", "--appid", jsOAID)
	cli(jsMobileSecret+"\n", "tenant", "add-app", "--slug", "acme", "--kind", "mobileapp", "--appid", jsMobileID)
	cli(jsWebSecret+"\n", "tenant", "add-app", "--slug", "acme", "--kind", "website", "--appid", jsWebID)
	cli(jsSMSMpKey+"\n", "tenant", "create", "--slug", jsSMSTenant, "--name", "Texts", "--appid", jsSMSMpID)
	cli(jsSMSKey+"\n", "tenant", "sms", "--slug", jsSMSTenant, "--provider", "tencent", "--access-key-id", jsSMSID,
		"--sdk-app-id", jsSMSAppID, "--sign-name", "miniauth", "--template-id", "100001")
	// Before serve starts, so that no node has the tenant cached.
	const most = 1_000_000 // the largest budget a tenant may have
	budgets := map[string]int{"login_per_tenant_per_second": most, "login_per_ip_per_minute": most,
		"login_per_identity_per_minute": most, "session_per_token_per_minute": most, "api_key_per_second": most}
	settings, _ := json.Marshal(map[string]any{
		"redirect_uris":   []string{jsRedirect, page + "/jsmodule.html"},
		"allowed_origins": []string{"https://www.acme.test", page},
		"rate_limits":     budgets,
		// acme has every login's answer carry an access token (new tenants
		// start without); the module's tests count the POST /token calls.
		"access_token_on_login": true,
	})
	limits, _ := json.Marshal(map[string]any{"rate_limits": budgets})
	if _, err := db.Exec("UPDATE tenants SET settings = JSON_MERGE_PATCH(COALESCE(settings, '{}'), ?) WHERE slug = 'acme'", settings); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE tenants SET settings = JSON_MERGE_PATCH(COALESCE(settings, '{}'), ?) WHERE slug = ?", limits, jsSMSTenant); err != nil {
		t.Fatal(err)
	}
	p := tenantstest.StartProcess(t, bin, []string{"serve"}, env)
	waitOK(t, p, "http://"+addr+"/readyz")
	return "http://" + addr
}

// waitOK waits until url answers 200 while p runs.
func waitOK(t *testing.T, p *tenantstest.Process, url string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute) // generous: a starved machine starts slowly
	for {
		if r, err := client.Get(url); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("%s did not answer; log:\n%s", url, bytes.TrimSpace([]byte(p.Log.String())))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
