package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleWaysInBrowser: the console's user page shows every way in of
// a user who signed in on the mini-program, the WeChat app and the
// website, and bound a phone, each with its last use, in both languages.
func TestConsoleWaysInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	addOpenApps(t, e.env)
	r := e.loginBody(`{"code":"` + e.code("hong") + `"}`)
	hong, token := r.str("user", "id"), r.str("session")
	remember(token, "session token")
	if id := e.appLogin("hong").str("user", "id"); id != hong {
		t.Fatalf("hong on the app is %s, not %s", id, hong)
	}
	if frag := e.qrLogin("hong"); frag.Get("user_id") != hong {
		t.Fatalf("hong on the website: %v", frag)
	}
	if p := e.do("POST", "/t/acme/me/phone", `{"code":"`+e.phoneCode(demoAppID, "hong")+`"}`, bearer(token)...); p.Status != 200 {
		t.Fatalf("bind phone: %d %s", p.Status, p.Raw)
	}

	run := newConsoleRun(t)
	shot, step, text := run.shot, run.step, run.text

	step("sign in as acme's admin",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")),
		chromedp.SendKeys(sel("signin-email"), acmeEmail),
		chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")), chromedp.WaitVisible(sel("stat-users")))
	step("the user page lists every way in",
		chromedp.Navigate(e.base+"/console/#/t/acme/users/"+hong), chromedp.WaitVisible(sel("ways-in-table")),
		chromedp.WaitVisible(sel("way-phone")), shot("ways-in-01-user"))
	for kind, want := range map[string][]string{
		"miniprogram": {"Mini-program", demoAppID, e.wx.OpenID(demoAppID, "hong")},
		"mobileapp":   {"WeChat app", mobileAppID, e.wx.OpenID(mobileAppID, "hong")},
		"website":     {"Website QR", websiteAppID, e.wx.OpenID(websiteAppID, "hong")},
		"phone":       {"Phone", "never"}, // bound by getPhoneNumber, never used by SMS code
	} {
		row := text(sel("way-" + kind))
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("the %s row reads %q, without %q", kind, row, w)
			}
		}
		if kind != "phone" && strings.Contains(row, "never") {
			t.Errorf("the %s row has no last use: %q", kind, row)
		}
	}
	step("in Chinese",
		js(`(() => { const s = document.querySelector('[data-test="lang"]'); s.value = "zh-CN"; s.dispatchEvent(new Event("change")); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="ways-in"] h2`)), shot("ways-in-02-user-zh"))
	// The page renders again in the new language: eventually, on a slow machine.
	for deadline := time.Now().Add(2 * time.Minute); text(chromedp.CSS(`[data-test="ways-in"] h2`)) != "登录方式"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the section's title in Chinese reads %q", text(chromedp.CSS(`[data-test="ways-in"] h2`)))
		}
	}
	if got := text(sel("way-mobileapp")); !strings.Contains(got, "微信 App") {
		t.Errorf("the app's row in Chinese reads %q", got)
	}

}
