package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"miniauth/api"
	"miniauth/tenants/admins"
)

// TestConsoleSettingsScreens: every setting a tenant admin has is on
// screen and takes effect (apps of every kind, lifetimes in days, the
// registration options explained, web origins, rate limits); input is
// checked before any confirmation; deleting a tenant takes its slug typed.
func TestConsoleSettingsScreens(t *testing.T) {
	e := newAdminEnv(t)
	r := newConsoleRun(t)
	r.step("open", chromedp.Navigate(e.base+"/console/"))
	r.signIn(e.base, platformEmail)
	r.step("the slug field has a hint", chromedp.WaitVisible(sel("slug-hint")), r.shot("01-new-tenant-slug-hint"))
	if got := r.text(sel("slug-hint")); !strings.Contains(got, "3 to 32") {
		t.Fatalf("slug hint %q", got)
	}

	r.step("an unknown tenant offers a way back",
		chromedp.Navigate(e.base+"/console/#/t/nosuch/apps"), chromedp.WaitVisible(sel("tenant-not-found")), r.shot("02-no-such-tenant"),
		chromedp.Click(sel("back-tenants")), chromedp.WaitVisible(sel("tenants-table")))

	r.step("apps", chromedp.Navigate(e.base+"/console/#/t/acme/apps"), chromedp.WaitVisible(sel("apps-table")))
	secretBefore := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'app.secret_rotated'`)
	r.step("an empty AppSecret is refused before any confirmation",
		chromedp.Click(sel("rotate-submit")), chromedp.WaitVisible(chromedp.CSS(`[data-test="app-result"].bad`)), r.shot("03-empty-secret"))
	if open := r.eval(`String(document.getElementById("confirm").open)`); open != "false" {
		t.Fatal("the confirmation opened for an empty AppSecret")
	}
	if got := r.text(sel("app-result")); !strings.Contains(got, "Enter the AppSecret") {
		t.Fatalf("empty secret says %q", got)
	}
	if e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'app.secret_rotated'`) != secretBefore {
		t.Fatal("an empty AppSecret was sent")
	}

	const oa = "wxofficial00000001"
	r.step("add an official account",
		setValue("add-kind", "officialaccount"), chromedp.WaitVisible(sel("add-kind-hint")),
		setValue("add-appid", oa), setValue("add-secret", "official-secret-0123456789"),
		chromedp.Click(sel("add-app")), chromedp.WaitVisible(chromedp.CSS(`tr[data-appid="`+oa+`"]`)), r.shot("04-official-account"))
	if n := e.count(`SELECT COUNT(*) FROM apps WHERE tenant_id = ? AND appid = ? AND kind = 'officialaccount'`, e.tenant.ID, oa); n != 1 {
		t.Fatalf("%d official accounts in MySQL", n)
	}
	if got := r.text(chromedp.CSS(`tr[data-appid="` + oa + `"]`)); !strings.Contains(got, "Official account") {
		t.Fatalf("the official account's row reads %q", got)
	}
	r.step("remove it",
		chromedp.Click(chromedp.CSS(`tr[data-appid="`+oa+`"] [data-test="app-remove"]`)), confirmOK,
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-appid="`+oa+`"]`)))
	if n := e.count(`SELECT COUNT(*) FROM apps WHERE appid = ?`, oa); n != 0 {
		t.Fatal("the removed app is still in MySQL")
	}
	// A verification file WeChat would not have named so is refused on
	// screen, before anything is sent.
	wrong := filepath.Join(t.TempDir(), "verify.txt")
	if err := os.WriteFile(wrong, []byte("Console0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.step("a wrongly named verification file",
		chromedp.SetUploadFiles(sel("verify-file"), []string{wrong}), chromedp.Click(sel("verify-upload")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="verify-error"]:not(:empty)`)), r.shot("04b-verify-file-name"))
	if got := r.text(sel("verify-error")); !strings.Contains(got, "MP_verify_") {
		t.Fatalf("the wrong file name is refused with %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM mp_verify_files`); n != 0 {
		t.Fatalf("%d verification files stored", n)
	}

	r.step("settings", chromedp.Navigate(e.base+"/console/#/t/acme/settings"), chromedp.WaitVisible(sel("set-save")), r.shot("05-settings"))
	for _, p := range []string{"auto", "signup", "existing_only"} {
		if got := r.text(chromedp.CSS(`label.option:has([data-test="set-reg-` + p + `"]) small`)); len(got) < 20 {
			t.Fatalf("registration option %s is explained as %q", p, got)
		}
	}
	settings := func() map[string]any {
		return e.as(e.callers[platform], "GET", "/admin/api/tenants/acme", "").obj("tenant", "settings")
	}
	before := settings()
	r.step("an absolute lifetime shorter than the idle one is refused on screen",
		setValue("set-idleLifetime", "2"), setValue("set-idleLifetime-unit", "86400"),
		setValue("set-absoluteLifetime", "1"), setValue("set-absoluteLifetime-unit", "86400"),
		chromedp.Click(sel("set-save")), chromedp.WaitVisible(chromedp.CSS(`[data-test="set-error"]:not(:empty)`)))
	if s := settings(); s["session_idle_seconds"] != before["session_idle_seconds"] {
		t.Fatalf("refused settings were saved: %v", s)
	}
	r.step("lifetimes in days and a registration option",
		hideToast(), setValue("set-absoluteLifetime", "30"), chromedp.Click(sel("set-reg-signup")),
		chromedp.Click(sel("set-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)))
	if s := settings(); s["session_idle_seconds"] != float64(2*86400) || s["session_absolute_seconds"] != float64(30*86400) || s["registration"] != "signup" {
		t.Fatalf("saved settings: %v", s)
	}
	if s := settings(); s["access_token_on_login"] != true {
		t.Fatalf("access_token_on_login before it is turned off: %v", s)
	}
	r.step("no access token on login",
		hideToast(), chromedp.Click(sel("set-access-token-on-login")),
		chromedp.Click(sel("set-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)))
	if s := settings(); s["access_token_on_login"] != false || s["registration"] != "signup" {
		t.Fatalf("saved settings after turning access tokens on login off: %v", s)
	}
	r.step("web origins and redirect URIs",
		chromedp.WaitVisible(sel("web-save")), hideToast(),
		setValue("web-origins", "https://h5.acme.example\nhttps://m.acme.example"),
		setValue("web-redirects", "https://h5.acme.example/login/done"),
		chromedp.Click(sel("web-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)))
	if w := e.as(e.callers[platform], "GET", "/admin/api/tenants/acme/web", ""); !strings.Contains(w.Raw, "https://m.acme.example") ||
		!strings.Contains(w.Raw, "/login/done") {
		t.Fatalf("web settings: %s", w.Raw)
	}
	r.step("rate limits",
		// Toasts time out by themselves; not in this test, so that only
		// leaving the page can end this one.
		do(`const st = window.setTimeout; window.setTimeout = (f, d, ...a) => (d >= 1000 ? 0 : st(f, d, ...a))`),
		hideToast(), setValue("limit-login_per_ip_per_minute", "300"),
		chromedp.Click(sel("limits-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)), r.shot("06-settings-saved"))
	if s := settings(); fmt.Sprint(s["rate_limits"]) != "map[login_per_ip_per_minute:300]" {
		t.Fatalf("rate limits: %v", s["rate_limits"])
	}
	r.step("a toast ends with its page",
		chromedp.Click(sel("tab-overview")), chromedp.WaitVisible(sel("stat-users")), chromedp.WaitNotVisible(chromedp.CSS("#toast")))

	// Deleting a tenant takes its slug, typed.
	if res := e.as(e.callers[platform], "POST", "/admin/api/tenants",
		`{"slug":"doomed","name":"Doomed","appid":"wxdoomed0000001","secret":"doomed-secret-0123456789"}`); res.Status != 201 {
		t.Fatalf("create doomed: %d %s", res.Status, res.Raw)
	}
	r.step("delete asks for the slug",
		chromedp.Navigate(e.base+"/console/#/t/doomed/settings"), chromedp.WaitVisible(sel("tenant-delete")),
		chromedp.Click(sel("tenant-delete")), chromedp.WaitVisible(sel("confirm-typed")), setValue("confirm-typed", "doom"), r.shot("07-delete-typed"))
	if dis := r.eval(`String(document.querySelector('[data-test="confirm-ok"]').disabled)`); dis != "true" {
		t.Fatal("OK is enabled before the slug is typed")
	}
	r.step("type it", setValue("confirm-typed", "doomed"), chromedp.Click(sel("confirm-ok")), chromedp.WaitVisible(sel("tenants-table")))
	if n := e.count(`SELECT COUNT(*) FROM tenants WHERE slug = 'doomed'`); n != 0 {
		t.Fatal("the tenant is still there")
	}

	r.step("in Chinese", setLanguage("zh-CN"), chromedp.Navigate(e.base+"/console/#/t/acme/settings"), chromedp.WaitVisible(sel("set-save")),
		r.shot("08-settings-zh"))
	if got := r.text(chromedp.CSS(`label.option:has([data-test="set-reg-existing_only"])`)); !strings.Contains(got, "仅限已有用户") || !strings.Contains(got, "导入") {
		t.Fatalf("registration option in Chinese: %q", got)
	}
	r.step("a server refusal in Chinese",
		chromedp.Navigate(e.base+"/console/#/t/acme/apps"), chromedp.WaitVisible(sel("add-app")), hideToast(),
		setValue("add-appid", otherAppID), setValue("add-secret", "whatever-secret-0123456789"),
		chromedp.Click(sel("add-app")), chromedp.WaitVisible(chromedp.CSS(`#toast.bad:not([hidden])`)), r.shot("09-conflict-zh"))
	if got := r.text(chromedp.CSS("#toast")); !strings.Contains(got, "已被占用") {
		t.Fatalf("a taken AppID in Chinese reads %q", got)
	}
}

// TestConsoleSessionExpiry: an expired console session says so on the
// sign-in page, and signing in again returns to the page with the unsaved
// edits back in place. A throttled sign-in says how long to wait, once.
func TestConsoleSessionExpiry(t *testing.T) {
	var deps api.Deps
	e := newTunedAdminEnv(t, func(_ *api.Base, st *api.Settings) {
		// Locked at the third failure, for 15 minutes: no wait a slow
		// machine could outlast.
		st.AdminLockout = admins.LockoutPolicy{Window: time.Hour,
			AccountSlow: 3, AccountLock: 3, IPSlow: 1000, IPLock: 1000, LockFor: 15 * time.Minute, MaxSlow: time.Minute}
	}, func(d *api.Deps) { deps = *d })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if r := e.do("POST", "/admin/api/session", fmt.Sprintf(`{"email":%q,"password":"wrong password %d"}`, globexEmail, i)); r.Status != 401 {
			t.Fatalf("failed sign-in %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := newConsoleRun(t)
	r.step("a browser at / lands on the console", chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(sel("signin-email")))
	if u := r.eval(`location.pathname`); u != "/console/" {
		t.Fatalf("/ led to %s", u)
	}
	r.step("a throttled sign-in",
		setValue("signin-email", globexEmail), setValue("signin-password", adminPassword), chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="signin-error"]:not(:empty)`)), r.shot("01-throttled"))
	got := r.text(sel("signin-error"))
	if !regexp.MustCompile(`wait \d+ min`).MatchString(got) || strings.Count(strings.ToLower(got), "too many") != 1 {
		t.Fatalf("the throttled sign-in says %q", got)
	}
	r.step("in Chinese", setLanguage("zh-CN"), chromedp.WaitVisible(sel("signin-email")),
		setValue("signin-email", globexEmail), setValue("signin-password", adminPassword), chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="signin-error"]:not(:empty)`)), r.shot("02-throttled-zh"))
	if got := r.text(sel("signin-error")); !regexp.MustCompile(`\d+ 分钟`).MatchString(got) {
		t.Fatalf("the throttled sign-in in Chinese says %q", got)
	}
	r.step("back to English", setLanguage("en"))

	r.signIn(e.base, platformEmail)
	r.step("settings", chromedp.Navigate(e.base+"/console/#/t/acme/settings"), chromedp.WaitVisible(sel("set-save")),
		setValue("set-name", "Acme (renamed, not saved yet)"), setValue("web-origins", "https://kept.acme.example"))
	a, err := e.admins.ByEmail(ctx, platformEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := deps.Console.RevokeAdmin(ctx, a.ID); err != nil { // the session ends while the admin types
		t.Fatal(err)
	}
	r.step("saving finds the session expired",
		chromedp.Click(sel("set-save")), chromedp.WaitVisible(sel("session-expired")), r.shot("03-session-expired"))
	if got := r.text(sel("session-expired")); !strings.Contains(got, "expired") || !strings.Contains(got, "kept") {
		t.Fatalf("the sign-in page says %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM tenants WHERE slug = 'acme' AND name LIKE 'Acme (renamed%'`); n != 0 {
		t.Fatal("the expired session saved the name")
	}
	r.signIn(e.base, platformEmail)
	r.step("back on the settings with the edits", chromedp.WaitVisible(sel("edits-restored")), chromedp.WaitVisible(sel("set-save")),
		r.shot("04-edits-restored"))
	if h := r.eval(`location.hash`); h != "#/t/acme/settings" {
		t.Fatalf("after signing in again the console is at %s", h)
	}
	if v := r.eval(`document.querySelector('[data-test="set-name"]').value`); v != "Acme (renamed, not saved yet)" {
		t.Fatalf("the name field holds %q", v)
	}
	if v := r.eval(`document.querySelector('[data-test="web-origins"]').value`); v != "https://kept.acme.example" {
		t.Fatalf("the origins field holds %q", v)
	}
	r.step("save them now", hideToast(), chromedp.Click(sel("set-save")), chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)))
	if n := e.count(`SELECT COUNT(*) FROM tenants WHERE slug = 'acme' AND name = 'Acme (renamed, not saved yet)'`); n != 1 {
		t.Fatal("the restored name was not saved")
	}
}

// TestConsoleSigningKeysAndLists: the API key list shows a key as soon as
// it is made; the signing keys say when rotation is possible before anyone
// asks; an emergency rotation (the slug typed) retires the current key at
// once; and at 390 px every table action is on screen, in both languages.
func TestConsoleSigningKeysAndLists(t *testing.T) {
	e := newAdminEnv(t)
	leaked := e.loginFull("alice").str("access_token")
	r := newConsoleRun(t)
	r.step("open", chromedp.Navigate(e.base+"/console/"))
	r.signIn(e.base, acmeEmail)
	r.step("backends", chromedp.Navigate(e.base+"/console/#/t/acme/backends"), chromedp.WaitVisible(sel("api-keys")))
	r.step("create an API key: the list shows it at once",
		setValue("key-name", "orders"), chromedp.Click(sel("create-key")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="api-keys-table"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="api-keys"] [data-test="shown-once"]`)), r.shot("01-key-created"))
	if got := r.text(sel("api-keys-table")); !strings.Contains(got, "orders") {
		t.Fatalf("the key list reads %q", got)
	}
	if got := r.text(sel("api-keys")); strings.Contains(got, "No API keys yet") {
		t.Fatal("'No API keys yet.' under the key just made")
	}
	key := e.apiKey(e.tenant.ID)

	r.step("the cooldown is said before rotating", chromedp.WaitVisible(sel("rotate-cooldown")))
	if got := r.text(sel("rotate-cooldown")); !strings.Contains(got, "possible from") {
		t.Fatalf("the cooldown reads %q", got)
	}
	// Disabled while the cooldown lasts by the browser's clock.
	if ok := r.eval(`(() => { const c = document.querySelector('[data-test="rotate-cooldown"]');
		return String(document.querySelector('[data-test="rotate-keys"]').disabled === (new Date(c.dataset.until) > new Date())); })()`); ok != "true" {
		t.Fatal("Rotate now is offered inside the cooldown, or refused after it")
	}
	r.step("emergency rotation asks for the slug",
		chromedp.Click(sel("rotate-emergency")), chromedp.WaitVisible(sel("confirm-typed")), r.shot("02-emergency-confirm"))
	if dis := r.eval(`String(document.querySelector('[data-test="confirm-ok"]').disabled)`); dis != "true" {
		t.Fatal("OK is enabled before the slug is typed")
	}
	r.step("type it", setValue("confirm-typed", "acme"), chromedp.Click(sel("confirm-ok")),
		chromedp.WaitVisible(chromedp.CSS(`#toast:not([hidden]):not(.bad)`)), chromedp.WaitVisible(sel("signing-table")), r.shot("03-emergency-done"))
	if res := e.do("POST", "/t/acme/introspect", `{"token":"`+leaked+`"}`, bearer(key)...); res.Body["active"] != false {
		t.Fatalf("the leaked key's token after the emergency rotation: %s", res.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.emergency_rotated' AND actor_id = ?`, acmeEmail); n != 1 {
		t.Fatalf("%d audit entries of the emergency rotation by the admin", n)
	}

	// A user with a session, for the user page's table.
	userID := e.userID("zoe")
	// offscreen lists the table actions a phone cannot reach.
	offscreen := func() string {
		return r.eval(`(() => {
			const w = document.documentElement.clientWidth, out = [];
			if (document.documentElement.scrollWidth > w) out.push("page scrolls sideways");
			for (const b of document.querySelectorAll(".table-wrap td button, .table-wrap td input")) {
				const q = b.getBoundingClientRect();
				if (q.width === 0 || q.left < 0 || q.right > w) out.push((b.textContent || b.placeholder) + " at " + Math.round(q.left) + "–" + Math.round(q.right));
			}
			return out.join("; ");
		})()`)
	}
	r.step("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, page := range []struct{ lang, hash, wait, name string }{
		{"en", "#/t/acme/apps", "apps-table", "04-phone-apps"},
		{"en", "#/t/acme/backends", "signing-table", "05-phone-backends"},
		{"en", "#/t/acme/users/" + userID, "sessions-table", "06-phone-user"},
		{"zh-CN", "#/t/acme/apps", "apps-table", "07-phone-apps-zh"},
		{"zh-CN", "#/t/acme/backends", "signing-table", "08-phone-backends-zh"},
		{"zh-CN", "#/t/acme/settings", "set-save", "09-phone-settings-zh"},
	} {
		r.step(page.name, setLanguage(page.lang), chromedp.Navigate(e.base+"/console/"+page.hash), chromedp.Reload(),
			chromedp.WaitVisible(sel(page.wait)), r.shot(page.name))
		if bad := offscreen(); bad != "" {
			t.Fatalf("%s at 390 px: out of reach: %s", page.hash, bad)
		}
		if page.wait == "signing-table" && page.lang == "zh-CN" {
			if got := r.text(sel("signing-table")); !strings.Contains(got, "当前") || !strings.Contains(got, "下一把") {
				t.Fatalf("key states in Chinese: %q", got)
			}
		}
	}
	r.step("a phone reaches Revoke on the user page", chromedp.Navigate(e.base+"/console/#/t/acme/users/"+userID),
		chromedp.WaitVisible(sel("session-revoke")), chromedp.Click(sel("session-revoke")), confirmOK, chromedp.WaitVisible(sel("no-sessions")))
}
