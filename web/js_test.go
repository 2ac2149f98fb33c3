package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
)

// TestBrowserModule runs the browser module's tests (js/test/*.test.mjs,
// Node's test runner) against the miniauth and wxmock binaries on free
// ports, with MariaDB and Redis: a tenant with a mini-program (whose
// wx.login codes the tests get from the simulator to sign in) and an
// official account for the web OAuth redirect. The routes main may not
// have yet are tested against js/test/fakeminiauth.cjs.
func TestBrowserModule(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("MINIAUTH_TEST_REQUIRE_NODE") != "" {
			t.Fatal("node is not installed; the browser module's tests need Node 20 or later")
		}
		t.Skip("node is not installed; the browser module's tests need Node 20 or later")
	}
	wxURL := startWxmock(t)
	base := startMiniauth(t, wxURL)

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
		"MINIAUTH_APPID="+jsAppID, "MINIAUTH_OA_APPID="+jsOAID, "MINIAUTH_REDIRECT_URI="+jsRedirect)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "fail 0") || !strings.Contains(string(out), "skipped 0") {
		t.Fatalf("unexpected node --test summary:\n%s", out)
	}
	t.Logf("node --test:\n%s", out)
}

// startWxmock runs the simulator with the tenant's mini-program and
// official account; it answers on the returned URL.
func startWxmock(t *testing.T) string {
	t.Helper()
	bin := tenantstest.Build(t, "miniauth/cmd/wxmock")
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	p := tenantstest.StartProcess(t, bin, []string{"--addr", addr}, []string{
		"WXMOCK_APPS=" + jsAppID + ":" + jsAppSecret, "WXMOCK_OFFICIAL_ACCOUNTS=" + jsOAID + ":" + jsOASecret})
	waitOK(t, p, "http://"+addr+"/mock/faults")
	return "http://" + addr
}

// startMiniauth migrates a database of its own, creates tenant acme with
// both apps, its redirect URI and budgets no test run can spend, and runs
// `miniauth serve` against the simulator.
func startMiniauth(t *testing.T, wxURL string) string {
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
		"MINIAUTH_WECHAT_BASE_URL=" + wxURL, "MINIAUTH_WECHAT_AUTH_URL=" + wxURL,
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
	// Before serve starts, so that no node has the tenant cached.
	const most = 1_000_000 // the largest budget a tenant may have
	settings, _ := json.Marshal(map[string]any{
		"redirect_uris":   []string{jsRedirect},
		"allowed_origins": []string{"https://www.acme.test"},
		"rate_limits": map[string]int{"login_per_tenant_per_second": most, "login_per_ip_per_minute": most,
			"login_per_identity_per_minute": most, "session_per_token_per_minute": most, "api_key_per_second": most},
	})
	if _, err := db.Exec("UPDATE tenants SET settings = JSON_MERGE_PATCH(COALESCE(settings, '{}'), ?) WHERE slug = 'acme'", settings); err != nil {
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
