package api_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"miniauth/tenants/wechat/wechattest"
)

// screenshotDir is where the console tests leave their screenshots (git
// ignores it): MINIAUTH_SCREENSHOTS, or .screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("MINIAUTH_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", ".screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts a headless Debian Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if testing.Short() {
			t.Skip("chromium not installed")
		}
		t.Fatal("chromium is not installed: run `make deps-chromium` (Debian package chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// Deadlines, not expectations: a starved machine renders slowly.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	return bctx
}

// TestConsoleInBrowser walks through the console as its users would, in
// headless Chromium: sign in, create a tenant and its app, find a user who
// logged in through the public API, ban it, revoke sessions, switch the
// language, and look at it on a phone; a tenant admin sees only its tenant.
func TestConsoleInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	const shopApp, shopSecret = "wxshop00000001", "shop-app-secret-0123456789"
	e.wx.AddApp(shopApp, shopSecret, "")
	run := newConsoleRun(t)
	ctx, shot, step, text := run.ctx, run.shot, run.step, run.text
	setLang := setLanguage

	confirm := chromedp.Steps(chromedp.WaitVisible(sel("confirm-ok")), chromedp.Click(sel("confirm-ok")))

	step("sign-in page",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")), shot("01-signin"))
	step("wrong password shows the server's message",
		chromedp.SendKeys(sel("signin-email"), platformEmail),
		chromedp.SendKeys(sel("signin-password"), "not the password"),
		chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="signin-error"]:not(:empty)`)))
	if got := text(sel("signin-error")); !strings.Contains(got, "wrong email or password") {
		t.Fatalf("sign-in error shows %q", got)
	}
	step("sign in",
		js(`document.querySelector('[data-test="signin-password"]').value = ""; true`),
		chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(sel("tenants-table")), shot("02-tenants"))

	step("create a tenant with its app",
		chromedp.SendKeys(sel("new-slug"), "shop"),
		chromedp.SendKeys(sel("new-name"), "Shop 小店"),
		chromedp.SendKeys(sel("new-appid"), shopApp),
		chromedp.SendKeys(sel("new-secret"), shopSecret),
		chromedp.Click(sel("new-submit")),
		chromedp.WaitVisible(sel("stat-users")))
	if n := e.count(`SELECT COUNT(*) FROM tenants t JOIN apps a ON a.tenant_id = t.id WHERE t.slug = 'shop' AND a.appid = ?`, shopApp); n != 1 {
		t.Fatal("the tenant made in the console is not in MySQL")
	}

	// A user logs in through the public API.
	shopLogin := func(user string) (token, id string) {
		c, err := e.wx.IssueCode(shopApp, user)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do("POST", "/t/shop/login", `{"code":"`+c+`"}`)
		if r.Status != 200 {
			t.Fatalf("shop login: %d %s", r.Status, r.Raw)
		}
		return r.str("session"), r.str("user", "id")
	}
	zoeToken, zoeID := shopLogin("zoe")
	shopLogin("yan")
	step("overview counts the users", chromedp.Reload(), chromedp.WaitVisible(sel("stat-users")), shot("03-overview"))
	if got := text(chromedp.CSS(`[data-test="stat-users"] .num`)); got != "2" {
		t.Fatalf("overview shows %s users, want 2", got)
	}

	step("find the user by openid",
		chromedp.Click(sel("tab-users")), chromedp.WaitVisible(sel("users-table")),
		chromedp.SendKeys(sel("user-search"), e.wx.OpenID(shopApp, "zoe")),
		chromedp.Click(sel("user-search-go")),
		// Only zoe's row once the search has answered; before that the
		// unfiltered list may still show (yan first).
		chromedp.WaitNotPresent(chromedp.CSS(`[data-test="users-table"] a:not([href$="`+zoeID+`"])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="users-table"] a[href$="`+zoeID+`"]`)), shot("04-users"),
		chromedp.Click(chromedp.CSS(`[data-test="users-table"] a[href$="`+zoeID+`"]`)),
		chromedp.WaitVisible(sel("sessions-table")), shot("05-user"))

	step("ban the user", chromedp.Click(sel("user-ban")), confirm, chromedp.WaitVisible(sel("user-unban")), shot("06-banned"))
	if r := e.do("GET", "/t/shop/me", "", bearer(zoeToken)...); r.Status != 401 {
		t.Fatalf("a banned user's session: %d", r.Status)
	}
	c, _ := e.wx.IssueCode(shopApp, "zoe")
	if r := e.do("POST", "/t/shop/login", `{"code":"`+c+`"}`); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("a banned user's login: %d %s", r.Status, r.Raw)
	}

	step("unban", chromedp.Click(sel("user-unban")), chromedp.WaitVisible(sel("user-ban")))
	zoeToken, _ = shopLogin("zoe")
	step("revoke one session",
		chromedp.Reload(), chromedp.WaitVisible(sel("session-revoke")),
		chromedp.Click(sel("session-revoke")), confirm, chromedp.WaitVisible(sel("no-sessions")))
	if r := e.do("GET", "/t/shop/me", "", bearer(zoeToken)...); r.Status != 401 {
		t.Fatalf("a revoked session: %d", r.Status)
	}

	yanToken, _ := shopLogin("yan")
	step("revoke every session of the tenant",
		chromedp.Click(sel("tab-sessions")), chromedp.WaitVisible(sel("revoke-tenant")),
		// The list loads after the view: once it is there, the button below
		// it has stopped moving (a click aimed before it moves misses).
		chromedp.WaitVisible(sel("tenant-sessions-table")),
		chromedp.Click(sel("revoke-tenant")), confirm, chromedp.WaitVisible(chromedp.CSS(`[data-test="revoke-tenant-done"]:not(:empty)`)))
	if r := e.do("GET", "/t/shop/me", "", bearer(yanToken)...); r.Status != 401 {
		t.Fatalf("a session after revoke-all: %d", r.Status)
	}

	step("test the app's credentials",
		chromedp.Click(sel("tab-apps")), chromedp.WaitVisible(sel("app-test")),
		chromedp.Click(sel("app-test")), chromedp.WaitVisible(chromedp.CSS(`[data-test="app-result"].ok`)), shot("07-apps"))
	step("audit log", chromedp.Click(sel("tab-audit")), chromedp.WaitVisible(sel("audit-table")), shot("08-audit"))
	if got := text(sel("audit-table")); !strings.Contains(got, "user.banned") || !strings.Contains(got, "sessions.revoked_all") {
		t.Fatalf("audit table lacks the console's actions: %q", got)
	}
	verifyFile := filepath.Join(t.TempDir(), "MP_verify_Console0123456789.txt")
	if err := os.WriteFile(verifyFile, []byte("Console0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("upload an official account's domain verification file",
		chromedp.Click(sel("tab-apps")), chromedp.WaitVisible(sel("verify-upload")), chromedp.SetUploadFiles(sel("verify-file"), []string{verifyFile}),
		chromedp.Click(sel("verify-upload")), chromedp.WaitVisible(sel("verify-table")))
	if res, body := e.fetch("/MP_verify_Console0123456789.txt"); res.StatusCode != 200 || string(body) != "Console0123456789" {
		t.Fatalf("the uploaded verification file: %d %q", res.StatusCode, body)
	}
	step("settings", chromedp.Click(sel("tab-settings")), chromedp.WaitVisible(sel("set-save")), shot("09-settings"))
	step("turn the nickname check off",
		js(`(() => { document.getElementById("toast").hidden = true; return true; })()`),
		chromedp.Click(sel("set-nickname-check")), chromedp.Click(sel("set-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not(.bad)`)))
	if r := e.as(e.callers[platform], "GET", "/admin/api/tenants/shop", ""); r.obj("tenant", "settings")["nickname_check"] != false {
		t.Fatalf("the console did not turn the nickname check off: %s", r.Raw)
	}

	step("switch to Chinese", setLang("zh-CN"), chromedp.WaitVisible(sel("set-save")),
		chromedp.Click(sel("tab-overview")), chromedp.WaitVisible(sel("stat-users")))
	if got := text(sel("tab-overview")); got != "概览" {
		t.Fatalf("overview tab reads %q in Chinese", got)
	}
	step("the choice survives a reload", chromedp.Reload(), chromedp.WaitVisible(sel("stat-users")), shot("10-overview-zh"))
	if got := text(chromedp.CSS(`[data-test="stat-activeSessions"] .num`)); got != "0" {
		t.Fatalf("overview shows %s active sessions after revoking them all", got)
	}
	if got := text(sel("tab-users")); got != "用户" {
		t.Fatalf("after reload the users tab reads %q", got)
	}

	step("phone width",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(), chromedp.WaitVisible(sel("stat-users")), shot("11-phone-overview-zh"),
		chromedp.Click(sel("tab-users")), chromedp.WaitVisible(sel("users-table")), shot("12-phone-users-zh"),
		setLang("en"), chromedp.WaitVisible(sel("users-table")),
		chromedp.Click(sel("user-link")), chromedp.WaitVisible(sel("user-status")), shot("13-phone-user"))

	// Nothing sticks out sideways on a phone: wide tables scroll inside
	// their own box.
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return "";
		return [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest(".table-wrap, .tabs"))
			.slice(0, 5).map((el) => el.tagName + "." + el.className + " " + Math.round(el.getBoundingClientRect().right)).join(", ") || "?";
	})()`))
	if err != nil || overflow != "" {
		t.Fatalf("the page is wider than a phone (%v): %s", err, overflow)
	}

	step("sign out", chromedp.Click(sel("signout")), chromedp.WaitVisible(sel("signin-email")))
	step("a tenant admin lands on its tenant",
		chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(sel("signin-email"), acmeEmail),
		chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(sel("stat-users")), shot("14-tenant-admin"))
	tenantsLinks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-test="nav-tenants"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if tenantsLinks != 0 || !strings.Contains(text(sel("crumb-tenant")), "Acme") {
		t.Fatal("a tenant admin sees platform navigation or another tenant")
	}
	// A spent daily quota (45009) stops every login: the overview says so
	// above everything, not only as a row of the error list.
	e.wx.AddRule(wechattest.Rule{API: "jscode2session", Errcode: 45009})
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("quota")+`"}`); r.Status != 429 || r.errCode() != "wechat_quota_exhausted" {
		t.Fatalf("login with the quota spent: %d %s", r.Status, r.Raw)
	}
	step("a spent quota is a warning", chromedp.Reload(), chromedp.WaitVisible(sel("quota-exhausted")), shot("14b-quota-exhausted"))
	if got := text(sel("quota-exhausted")); !strings.Contains(got, "45009") || !strings.Contains(got, demoAppID) {
		t.Fatalf("the quota warning reads %q", got)
	}
	step("another tenant is not found",
		chromedp.Navigate(e.base+"/console/#/t/shop/users"), chromedp.WaitVisible(chromedp.CSS(`main .empty`)), shot("15-tenant-admin-other"))
	if got := text(chromedp.CSS("main .empty")); !strings.Contains(got, "No such tenant") {
		t.Fatalf("a tenant admin on another tenant sees %q", got)
	}

}
