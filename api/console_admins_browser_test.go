package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleAdminsInBrowser drives admin accounts and MFA in Chromium:
// the platform admin invites a tenant admin (the link shown once), sees
// the admins list at phone width, requires MFA of platform admins and is
// sent to set its own up (in English); the invited admin accepts in
// 简体中文, sets up MFA with a code computed here from the secret on the
// screen, changes its password, and signs in with a TOTP code and then a
// recovery code, which works once.
func TestConsoleAdminsInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	run := newConsoleRun(t)
	shot, step, eval := run.shot, run.step, run.eval
	setLang := setLanguage
	text := func(test string) string {
		t.Helper()
		return eval(`document.querySelector('[data-test="` + test + `"]').textContent`)
	}
	signIn := func(email, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.WaitVisible(sel("signin-email")),
			chromedp.SendKeys(sel("signin-email"), email), chromedp.SendKeys(sel("signin-password"), password),
			chromedp.Click(sel("signin-submit")))
	}
	signOut := chromedp.Steps(chromedp.Click(sel("signout")), chromedp.WaitVisible(sel("signin-email")))

	// The platform admin invites a tenant admin.
	const invitee, first, second = "new@acme.example", "first passphrase 1", "second passphrase 2"
	step("platform admin signs in", chromedp.Navigate(e.base+"/console/"), signIn(platformEmail, adminPassword),
		chromedp.WaitVisible(sel("nav-admins")), chromedp.Click(sel("nav-admins")), chromedp.WaitVisible(sel("admins-list")))
	step("invite", chromedp.SendKeys(sel("invite-email"), invitee), chromedp.SendKeys(sel("invite-tenant"), "acme"),
		chromedp.Click(sel("invite-submit")), chromedp.WaitVisible(sel("invite-link")), shot("01-invite-shown"))
	link := eval(`document.querySelector('[data-test="invite-link"]').value`)
	if !strings.HasPrefix(link, e.base+"/console/#/invite/") {
		t.Fatalf("invite link %q", link)
	}
	remember(strings.TrimPrefix(link, e.base+"/console/#/invite/"), "invite token")
	if got := eval(`[...document.querySelectorAll('[data-test="admin-row"]')].map((r) => r.dataset.email + ":" + r.querySelector('[data-test="admin-status"]').textContent).join(",")`); !strings.Contains(got, invitee+":invited") {
		t.Fatalf("the list does not show the invitee as invited: %q", got)
	}

	// At phone width every admin's actions are on screen, in both languages.
	for _, l := range []string{"en", "zh-CN"} {
		step("phone width "+l, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			setLang(l), chromedp.WaitVisible(sel("admins-list")), shot("02-phone-admins-"+l))
		if off := eval(`(() => {
			const w = document.documentElement.clientWidth;
			const out = [...document.querySelectorAll('[data-test="admins-list"] button, body *')].filter((el) => el.getBoundingClientRect().right > w + 1);
			return out.slice(0, 5).map((el) => el.tagName + "." + el.className + " " + (el.dataset.test || "")).join(", ");
		})()`); off != "" {
			t.Fatalf("%s: off-screen at 390 px: %s", l, off)
		}
		if n := eval(`String(document.querySelectorAll('[data-test="admin-row"] [data-test="admin-remove"]').length)`); n != "4" {
			t.Fatalf("%s: %s remove buttons for 4 admins", l, n)
		}
	}
	// Requiring MFA of platform admins sends this one, who has none, to
	// set it up before anything else.
	step("require MFA", chromedp.EmulateViewport(1280, 900), setLang("en"), chromedp.WaitVisible(sel("require-mfa")),
		chromedp.Click(sel("require-mfa")), chromedp.WaitVisible(chromedp.CSS(`#toast:not(.bad)`)),
		chromedp.Reload(), chromedp.WaitVisible(sel("mfa-required")), chromedp.WaitVisible(sel("mfa-qr")), shot("02b-mfa-required-en"))
	if r := e.as(e.callers[platform], "GET", "/admin/api/tenants", ""); r.Status != 401 || r.errCode() != "mfa_enrolment_required" {
		t.Fatalf("tenants before set-up: %d %s", r.Status, r.Raw)
	}
	rootSecret := strings.ReplaceAll(text("mfa-secret"), " ", "")
	step("platform admin sets up MFA", chromedp.SendKeys(sel("mfa-setup-code"), totpCode(t, rootSecret, e.clock.Now())),
		chromedp.Click(sel("mfa-setup-submit")), chromedp.WaitVisible(sel("recovery-codes")), shot("02c-recovery-codes-en"),
		chromedp.Click(sel("recovery-done")), chromedp.WaitVisible(sel("nav-admins")), chromedp.Click(sel("nav-admins")),
		chromedp.WaitVisible(sel("admins-list")))
	if got := eval(`document.querySelector('[data-email="` + platformEmail + `"]').textContent`); !strings.Contains(got, "MFA on") {
		t.Fatalf("the platform admin's row reads %q", got)
	}
	step("sign out", signOut)

	// The invitee accepts, in Chinese.
	step("invite page", setLang("zh-CN"), chromedp.Navigate(link), chromedp.WaitVisible(sel("invite-password")), shot("03-invite-accept-zh"))
	if got := text("invite-who"); !strings.Contains(got, invitee) || !strings.Contains(got, "租户管理员") {
		t.Fatalf("invite page says %q", got)
	}
	step("passwords differ", chromedp.SendKeys(sel("invite-password"), first), chromedp.SendKeys(sel("invite-password2"), "x"),
		chromedp.Click(sel("invite-accept")), chromedp.WaitVisible(chromedp.CSS(`[data-test="invite-accept-error"]:not(:empty)`)))
	if got := text("invite-accept-error"); got != "两次输入的密码不一致。" {
		t.Fatalf("mismatch reads %q", got)
	}
	step("accept", js(`(() => { document.querySelector('[data-test="invite-password2"]').value = ""; return true; })()`),
		chromedp.SendKeys(sel("invite-password2"), first), chromedp.Click(sel("invite-accept")),
		chromedp.WaitVisible(sel("invite-accepted")), shot("04-invite-accepted-zh"))
	step("the link again", chromedp.Navigate(link), chromedp.Reload(), chromedp.WaitVisible(sel("invite-accept-error")))
	if got := text("invite-accept-error"); !strings.Contains(got, "invalid_invite") || !strings.Contains(got, "邀请链接") {
		t.Fatalf("a used link reads %q", got)
	}

	// It signs in and sets up MFA from the QR code's secret.
	step("sign in", chromedp.Navigate(e.base+"/console/#/"), signIn(invitee, first), chromedp.WaitVisible(sel("nav-account")),
		chromedp.Click(sel("nav-account")), chromedp.WaitVisible(sel("mfa-begin")), chromedp.Click(sel("mfa-begin")),
		chromedp.WaitVisible(sel("mfa-qr")), shot("05-mfa-setup-zh"))
	secret := strings.ReplaceAll(text("mfa-secret"), " ", "")
	if ok := eval(`String(document.querySelector('[data-test="mfa-qr"]').naturalWidth > 100)`); ok != "true" {
		t.Fatal("the QR code did not load")
	}
	step("wrong first code", chromedp.SendKeys(sel("mfa-setup-code"), "000000"), chromedp.Click(sel("mfa-setup-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="mfa-setup-error"]:not(:empty)`)))
	if got := text("mfa-setup-error"); !strings.Contains(got, "验证码错误") {
		t.Fatalf("wrong code reads %q", got)
	}
	step("confirm", js(`(() => { document.querySelector('[data-test="mfa-setup-code"]').value = ""; return true; })()`),
		chromedp.SendKeys(sel("mfa-setup-code"), totpCode(t, secret, e.clock.Now())), chromedp.Click(sel("mfa-setup-submit")),
		chromedp.WaitVisible(sel("recovery-codes")), shot("06-recovery-codes-zh"))
	recovery := eval(`document.querySelector('[data-test="recovery-code"]').textContent`)
	remember(recovery, "recovery code")
	if n := eval(`String(document.querySelectorAll('[data-test="recovery-code"]').length)`); n != "10" {
		t.Fatalf("%s recovery codes shown", n)
	}
	step("codes saved", chromedp.Click(sel("recovery-done")), chromedp.WaitVisible(sel("mfa-status")))
	if got := text("mfa-status"); !strings.Contains(got, "已开启") || !strings.Contains(got, "10") {
		t.Fatalf("MFA status reads %q", got)
	}

	// It changes its password.
	step("change password", chromedp.SendKeys(sel("pw-current"), first), chromedp.SendKeys(sel("pw-new"), second),
		chromedp.Click(sel("pw-submit")), chromedp.WaitVisible(chromedp.CSS(`#toast:not(.bad)`)), shot("07-password-changed-zh"))
	if r := e.do("POST", "/admin/api/session", signInBody(invitee, second)); r.Status != 200 || r.Body["mfa_required"] != true {
		t.Fatalf("the new password: %d %s", r.Status, r.Raw)
	}

	// Sign-in with MFA: a TOTP code, then a recovery code, which works once.
	e.clock.Add(30 * time.Second)
	step("sign in with a code", signOut, signIn(invitee, second), chromedp.WaitVisible(sel("mfa-code")), shot("08-mfa-step-zh"),
		chromedp.SendKeys(sel("mfa-code"), totpCode(t, secret, e.clock.Now())), chromedp.Click(sel("mfa-submit")),
		chromedp.WaitVisible(sel("stat-users")))
	step("sign in with a recovery code", signOut, setLang("en"), signIn(invitee, second), chromedp.WaitVisible(sel("mfa-code")),
		chromedp.SendKeys(sel("mfa-code"), recovery), chromedp.Click(sel("mfa-submit")), chromedp.WaitVisible(sel("stat-users")))
	step("the recovery code again", signOut, signIn(invitee, second), chromedp.WaitVisible(sel("mfa-code")),
		chromedp.SendKeys(sel("mfa-code"), recovery), chromedp.Click(sel("mfa-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="mfa-error"]:not(:empty)`)), shot("09-recovery-code-reused"))
	if got := text("mfa-error"); !strings.Contains(got, "Wrong, used or expired code") {
		t.Fatalf("a reused recovery code reads %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.mfa_recovery_code_used' AND target_id = ?`, invitee); n != 1 {
		t.Fatalf("%d recovery code uses audited", n)
	}
}
