package api_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleBackendsTab: a tenant admin creates an API key and a webhook
// in the console's Backends tab, and sees the key and the secret once.
func TestConsoleBackendsTab(t *testing.T) {
	e := newAdminEnv(t)
	recv := newHookReceiver(t)
	run := newConsoleRun(t)
	step, text := run.step, run.text

	step("sign in as acme's admin",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")),
		chromedp.SendKeys(sel("signin-email"), acmeEmail),
		chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(sel("tabs")))
	step("open the backends tab",
		chromedp.Click(sel("tab-backends")), chromedp.WaitVisible(sel("api-keys")))
	step("create an API key",
		chromedp.SendKeys(sel("key-name"), "orders"),
		chromedp.Click(sel("create-key")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="api-keys"] [data-test="shown-once"]`)))
	shown := text(chromedp.CSS(`[data-test="api-keys"] [data-test="shown-once"] code`))
	remember(shown, "API key")
	if !strings.HasPrefix(shown, "mak_") {
		t.Fatalf("the console shows %q as the new key", shown)
	}
	if n := e.count(`SELECT COUNT(*) FROM api_keys WHERE tenant_id = ? AND name = 'orders'`, e.tenant.ID); n != 1 {
		t.Fatalf("%d keys in MySQL", n)
	}
	step("add a webhook",
		chromedp.SendKeys(sel("hook-url"), recv.URL+"/hook"),
		chromedp.Click(sel("add-hook")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="webhooks"] [data-test="shown-once"]`)))
	secret := text(chromedp.CSS(`[data-test="webhooks"] [data-test="shown-once"] code`))
	remember(secret, "webhook secret")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the console shows %q as the secret", secret)
	}
	if n := e.count(`SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = ? AND FIND_IN_SET('user.created', events)`, e.tenant.ID); n != 1 {
		t.Fatalf("%d webhooks in MySQL", n)
	}
	// Reloaded, the tab lists the key by its prefix only.
	step("reload", chromedp.Reload(), chromedp.WaitVisible(sel("revoke-key")))
	if page := text(sel("api-keys")); strings.Contains(page, shown) || !strings.Contains(page, shown[:12]) {
		t.Fatalf("after a reload the key list shows: %s", page)
	}
}
