package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

	ctx := browser(t)
	dir := screenshotDir(t)
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && m.Source != "network" {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a deadline for a starved machine, not a speed
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			_ = chromedp.Do(ctx, shot("ways-in-failed-"+strings.ReplaceAll(name, " ", "-")))
			t.Fatalf("%s: %v", name, err)
		}
	}
	sel := func(test string) chromedp.CSS { return chromedp.CSS(`[data-test="` + test + `"]`) }
	text := func(s chromedp.CSS) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Text(s))
		if err != nil {
			t.Fatalf("read %s: %v", s, err)
		}
		return out
	}
	js := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			return err
		})
	}

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

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("the console logged errors:\n%s", strings.Join(problems, "\n"))
	}
}
