package api_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleDataScreens walks a tenant admin through the users' data
// screens in headless Chromium: a CSV import with its preview and per-line
// result (and a refused one), the export, the sessions list with its
// filter and a revocation, a ban with a reason and an end date with the
// login history, a webhook's edit, ping and secret rotation, and the audit
// log's date range, export and links; then the same in 简体中文, and the
// tables at 390 px with every action on screen. Screenshots go to
// screenshotDir, named cd-*.
func TestConsoleDataScreens(t *testing.T) {
	e := newAdminEnv(t)
	recv := newHookReceiver(t)
	a1 := e.login("alice")
	e.login("alice")
	e.login("bob")
	alice := e.do("GET", "/t/acme/me", "", bearer(a1)...).str("user", "id")
	r := e.as(e.callers[own], "POST", "/admin/api/tenants/acme/webhooks", `{"url":"`+recv.URL+`/hook","events":["user.banned"]}`)
	if r.Status != 201 {
		t.Fatalf("create webhook: %d %s", r.Status, r.Raw)
	}
	firstSecret := r.str("secret")
	remember(firstSecret, "webhook secret")

	run := newConsoleRun(t)
	ctx, shot, step, text := run.ctx, run.shot, run.step, run.text
	setLang := setLanguage
	// until waits for a page expression to hold (no timing: the step's
	// deadline is the only clock).
	until := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(0))(ctx, tg)
			return err
		})
	}
	count := func(test string) string { return `document.querySelectorAll('[data-test="` + test + `"]').length` }
	eval := func(expr string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate: %v", err)
		}
		return out
	}
	confirm := chromedp.Steps(chromedp.WaitVisible(sel("confirm-ok")), chromedp.Click(sel("confirm-ok")))
	csvFile := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tenant := e.base + "/console/#/t/acme"

	step("sign in as acme's admin",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")),
		chromedp.SendKeys(sel("signin-email"), acmeEmail),
		chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")),
		chromedp.WaitVisible(sel("tabs")))

	// Import: refused as a whole, the bad lines marked in the preview.
	users := func() int { return e.count(`SELECT COUNT(*) FROM users WHERE tenant_id = ?`, e.tenant.ID) }
	n := users()
	step("a refused import",
		chromedp.Navigate(tenant+"/users"), chromedp.WaitVisible(sel("import-file")),
		chromedp.SetUploadFiles(sel("import-file"), []string{csvFile("bad.csv", "phone,name\n+8613900139001,Ann\nnot-a-phone,Bad\n")}),
		until(`document.querySelectorAll('[data-test="import-preview-table"] tbody tr').length === 2`),
		chromedp.Click(sel("import-send")), confirm,
		chromedp.WaitVisible(sel("import-refused")),
		until(`document.querySelector('[data-test="import-preview-table"] tr[data-line="3"]').classList.contains("bad")`),
		shot("01-import-refused"))
	if users() != n {
		t.Fatal("a refused import wrote users")
	}
	step("an import with its preview and per-line result",
		chromedp.Navigate(tenant+"/users"), chromedp.WaitVisible(sel("import-file")),
		chromedp.SetUploadFiles(sel("import-file"), []string{csvFile("good.csv", "phone,name,external_id\n+8613900139001,Ann,crm-1\n+8613900139002,\"Li, Lei\",crm-2\n")}),
		until(`document.querySelectorAll('[data-test="import-preview-table"] tbody tr').length === 2`),
		shot("02-import-preview"),
		chromedp.Click(sel("import-send")), confirm,
		chromedp.WaitVisible(sel("import-done")), until(count("import-row")+" === 2"), shot("03-import-result"))
	if users() != n+2 || !strings.Contains(text(sel("import-rows")), "created") {
		t.Fatalf("after the import: %d users, result %q", users(), text(sel("import-rows")))
	}
	// Export: the link downloads the CSV with the session's cookie.
	exported := eval(`fetch(document.querySelector('[data-test="users-export"]').href).then((r) => r.text())`)
	if !strings.HasPrefix(exported, "id,nickname,phone") || !strings.Contains(exported, "Li, Lei") || !strings.Contains(exported, alice) {
		t.Fatalf("the export reads %q", exported)
	}

	// Sessions: listed, filtered by user, revoked.
	step("the sessions list",
		chromedp.Navigate(tenant+"/sessions"), chromedp.WaitVisible(sel("tenant-sessions-table")),
		until(count("sess-row")+" === 3"), shot("04-sessions"))
	step("filtered by user",
		chromedp.SendKeys(sel("sess-user"), alice), chromedp.Click(sel("sess-filter")),
		until(count("sess-row")+" === 2"), shot("05-sessions-alice"))
	step("revoke one", chromedp.Click(sel("sess-revoke")), confirm, until(count("sess-row")+" === 1"))
	if r := e.as(e.callers[own], "GET", "/admin/api/tenants/acme/sessions?user="+alice, ""); len(r.list("sessions")) != 1 {
		t.Fatalf("after revoking in the console: %s", r.Raw)
	}

	// A ban with a reason and an end date, and the login history.
	end := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	step("ban with a reason and an end",
		chromedp.Navigate(tenant+"/users/"+alice), chromedp.WaitVisible(sel("ban-form")),
		until(count("login-row")+" === 2"),
		chromedp.SendKeys(sel("ban-reason-input"), "chargebacks"),
		chromedp.SetValue(sel("ban-until-input"), end),
		chromedp.Click(sel("user-ban")), confirm,
		chromedp.WaitVisible(sel("ban-reason")), shot("06-banned-until"))
	if got := text(sel("ban-reason")); got != "chargebacks" {
		t.Fatalf("the ban reason reads %q", got)
	}
	var until0 string
	if err := e.db.Get(&until0, `SELECT DATE_FORMAT(banned_until, '%Y-%m-%d %H') FROM users WHERE public_id = ?`, alice); err != nil || until0 == "" {
		t.Fatalf("banned_until in MySQL: %q, %v", until0, err)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code("alice")+`"}`); r.Status != 403 || r.errCode() != "user_banned" {
		t.Fatalf("a banned user's login: %d %s", r.Status, r.Raw)
	}

	// Webhooks: ping, edit, rotate.
	step("ping the webhook",
		chromedp.Navigate(tenant+"/backends"), chromedp.WaitVisible(sel("hooks-table")),
		chromedp.Click(sel("hook-ping")),
		until(`[...document.querySelectorAll("td")].some((td) => td.textContent === "ping")`))
	if _, err := e.hooks.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The ban above was announced too (the endpoint takes user.banned).
	if got := recv.events(t, firstSecret); !slices.Contains(got, "ping") {
		t.Fatalf("the receiver got %v", got)
	}
	step("the ping delivered", chromedp.Reload(), chromedp.WaitVisible(sel("hooks-table")),
		until(`[...document.querySelectorAll("tr")].some((tr) => tr.textContent.includes("ping") && tr.textContent.includes("succeeded"))`),
		shot("07-webhook-pinged"))
	step("edit the webhook",
		chromedp.Click(sel("hook-edit")), chromedp.WaitVisible(sel("hook-edit-url")),
		chromedp.SetValue(sel("hook-edit-url"), recv.URL+"/edited"),
		chromedp.Click(sel("hook-enabled")),
		chromedp.Click(sel("hook-save")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="hook-status"].disabled`)), shot("08-webhook-edited"))
	var url, status string
	if err := e.db.QueryRow(`SELECT url, status FROM webhook_endpoints WHERE tenant_id = ?`, e.tenant.ID).Scan(&url, &status); err != nil ||
		!strings.HasSuffix(url, "/edited") || status != "disabled" {
		t.Fatalf("after the edit: %q %q %v", url, status, err)
	}
	step("rotate its secret",
		chromedp.Click(sel("hook-rotate")), confirm,
		chromedp.WaitVisible(chromedp.CSS(`[data-test="webhooks"] [data-test="shown-once"]`)), shot("09-webhook-rotated"))
	secret := text(chromedp.CSS(`[data-test="webhooks"] [data-test="shown-once"] code`))
	remember(secret, "webhook secret")
	if !strings.HasPrefix(secret, "whsec_") || secret == firstSecret {
		t.Fatalf("the rotated secret shown is %q", secret)
	}

	// Audit: a date range, the export, labels and links.
	today := time.Now().Format(time.DateOnly)
	step("the audit log of today",
		chromedp.Navigate(tenant+"/audit"), chromedp.WaitVisible(sel("audit-table")),
		chromedp.SetValue(sel("audit-from"), today), chromedp.SetValue(sel("audit-to"), today),
		chromedp.Click(sel("audit-filter")),
		until(`[...document.querySelectorAll('[data-test="audit-label"]')].some((x) => x.textContent === "User banned")`),
		shot("10-audit-today"))
	href := eval(`document.querySelector('[data-test="audit-export"]').href`)
	if !strings.Contains(href, "/audit/export?") || !strings.Contains(href, "from=") {
		t.Fatalf("the export link is %q", href)
	}
	exported = eval(`fetch(document.querySelector('[data-test="audit-export"]').href).then((r) => r.text())`)
	if !strings.HasPrefix(exported, "time,tenant,actor_type") || !strings.Contains(exported, "user.banned") || !strings.Contains(exported, "webhook.pinged") {
		t.Fatalf("the audit export reads %q", exported)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	step("a range with nothing in it",
		chromedp.SetValue(sel("audit-from"), tomorrow), chromedp.SetValue(sel("audit-to"), tomorrow),
		chromedp.Click(sel("audit-filter")), chromedp.WaitVisible(sel("audit-empty")))
	step("a link to the user a line names",
		chromedp.SetValue(sel("audit-from"), ""), chromedp.SetValue(sel("audit-to"), ""),
		chromedp.Click(sel("audit-filter")),
		chromedp.WaitVisible(chromedp.CSS(`[data-test="audit-target-link"][href$="/users/`+alice+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-test="audit-target-link"][href$="/users/`+alice+`"]`)),
		chromedp.WaitVisible(sel("ban-reason")))

	// 简体中文.
	step("in Chinese", setLang("zh-CN"), chromedp.WaitVisible(sel("ban-reason")),
		until(`document.body.textContent.includes("封禁原因") && document.body.textContent.includes("登录记录")`), shot("11-user-zh"),
		chromedp.Navigate(tenant+"/sessions"), chromedp.WaitVisible(sel("tenant-sessions-table")), shot("12-sessions-zh"),
		chromedp.Navigate(tenant+"/audit"), chromedp.WaitVisible(sel("audit-table")),
		until(`[...document.querySelectorAll('[data-test="audit-label"]')].some((x) => x.textContent === "封禁用户")`), shot("13-audit-zh"),
		chromedp.Navigate(tenant+"/backends"), chromedp.WaitVisible(sel("hooks-table")),
		until(`document.querySelector('[data-test="hook-ping"]').textContent === "发送测试事件"`),
		chromedp.Navigate(tenant+"/users"), chromedp.WaitVisible(sel("import-file")),
		until(`document.body.textContent.includes("导入用户")`))

	// Phone width: each table's rows stack, every action is on screen.
	onScreen := `(() => {
		const w = document.documentElement.clientWidth;
		const off = [...document.querySelectorAll("table.stack button, table.stack a")].filter((b) => {
			const r = b.getBoundingClientRect();
			return r.width > 0 && (r.right > w + 1 || r.left < 0);
		});
		return off.length === 0 && document.querySelectorAll("table.stack button, table.stack a").length > 0;
	})()`
	step("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(tenant+"/sessions"), chromedp.WaitVisible(sel("tenant-sessions-table")), until(onScreen), shot("14-phone-sessions-zh"),
		setLang("en"),
		chromedp.Navigate(tenant+"/sessions"), chromedp.WaitVisible(sel("tenant-sessions-table")), until(onScreen), shot("15-phone-sessions"),
		chromedp.Navigate(tenant+"/backends"), chromedp.WaitVisible(sel("hooks-table")), until(onScreen), shot("16-phone-webhooks"),
		chromedp.Navigate(tenant+"/audit"), chromedp.WaitVisible(sel("audit-table")), until(onScreen), shot("17-phone-audit"),
		chromedp.Navigate(tenant+"/users/"+alice), chromedp.WaitVisible(sel("logins-table")), shot("18-phone-user"))

}
