package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleSMSInBrowser: a tenant admin sets the tenant's SMS provider
// in the console's SMS tab (the secret typed once, never shown again),
// sends a test code that reaches the simulator, and the overview warns
// once the daily cap refused a send.
func TestConsoleSMSInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	e.sms.AddTencent(smsTencentID, smsTencentKey, smsTencentApp)
	remember(smsTencentKey, "Tencent SecretKey")
	run := newConsoleRun(t)
	ctx, step := run.ctx, run.step
	// The browser starts under ctx, not under a step's shorter context.
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 2 minutes", what)
			}
		}
	}

	step("sign in as the tenant's admin",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")),
		chromedp.SendKeys(sel("signin-email"), acmeEmail), chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")), chromedp.WaitVisible(sel("stat-users")))
	step("the SMS tab", chromedp.Click(sel("tab-sms")), chromedp.WaitVisible(sel("sms-form")))
	step("set Tencent SMS",
		chromedp.SendKeys(sel("sms-access_key_id"), smsTencentID), chromedp.SendKeys(sel("sms-secret"), smsTencentKey),
		chromedp.SendKeys(sel("sms-sdk_app_id"), smsTencentApp), chromedp.SendKeys(sel("sms-sign_name"), smsSignName),
		chromedp.SendKeys(sel("sms-template_id"), smsTencentTempl), chromedp.SendKeys(sel("sms-tenant_per_day"), "1"),
		chromedp.Click(sel("sms-save")), chromedp.WaitVisible(sel("sms-test-phone")))
	eventually("the settings in MySQL", func() bool {
		return e.count("SELECT COUNT(*) FROM sms_settings WHERE tenant_id = ? AND provider = 'tencent' AND tenant_per_day = 1", e.tenant.ID) == 1
	})
	value, err := chromedp.Run(ctx, chromedp.Value(sel("sms-secret")))
	if err != nil || value != "" {
		t.Fatalf("the secret field shows %q after saving (%v)", value, err)
	}

	step("send a test code",
		chromedp.SendKeys(sel("sms-test-phone"), "+8613000130001"), chromedp.Click(sel("sms-test-send")))
	eventually("the test code in the inbox", func() bool { return len(e.sms.Inbox("+8613000130001")) == 1 })

	// The cap (1 a day) is spent: the next send is refused and audited,
	// and the overview says so.
	if r := e.do("POST", "/t/acme/sms/send", `{"phone":"+8613000130002"}`); r.Status != 429 {
		t.Fatalf("past the daily cap: %d %s", r.Status, r.Raw)
	}
	step("the overview warns", chromedp.Click(sel("tab-overview")), chromedp.WaitVisible(sel("sms-cap-reached")))
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, smsTencentKey) {
		t.Fatal("the secret is in the page")
	}
}
