package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUsageChartsInBrowser: the charts of use on a tenant's overview and
// on the platform's page, in headless Chromium, drawn from real logins
// through the simulator over three days (each rolled up into MySQL as the
// rollup does, then the clock moved on): the numbers on the screen are
// the logins made, the selectors change them, and both pages read in
// English and 简体中文 and fit a 390 px phone.
func TestUsageChartsInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	store := e.usage // the API's: its rollup sends the node's waiting counts first
	ctx0 := context.Background()
	logins := 0
	for day := range 3 {
		for i := range day + 2 {
			if r := e.do("POST", "/t/acme/login", `{"code":"`+e.code(fmt.Sprint("user", i))+`"}`); r.Status != 200 {
				t.Fatalf("login: %d %s", r.Status, r.Raw)
			}
			logins++
		}
		if day < 2 {
			if err := store.Rollup(ctx0, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(24 * time.Hour)
		}
	}
	// Today: two refusals by cause.
	if r := e.do("POST", "/t/acme/login", `{"code":"never-issued-0002"}`); r.errCode() != "invalid_code" {
		t.Fatalf("bad code: %d %s", r.Status, r.Raw)
	}
	if r := e.do("POST", "/t/acme/login", `{"code":"never-issued-0003"}`); r.errCode() != "invalid_code" {
		t.Fatalf("bad code: %d %s", r.Status, r.Raw)
	}

	run := newConsoleRun(t)
	ctx, shot, step := run.ctx, run.shot, run.step
	// until waits for a condition of the page (generous: a starved
	// machine draws slowly).
	until := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(2*time.Minute))(ctx, tg)
			return err
		})
	}
	choose := func(test, value string) chromedp.Action[chromedp.Void] {
		return js(`(() => { const s = document.querySelector('[data-test="` + test + `"]'); s.value = "` + value +
			`"; s.dispatchEvent(new Event("change")); return true; })()`)
	}
	setLang := func(l string) chromedp.Action[chromedp.Void] { return choose("lang", l) }
	rows := func(chart string, n int) string {
		return fmt.Sprintf(`document.querySelectorAll('[data-test="%s"] details tbody tr').length === %d`, chart, n)
	}
	// drawn: every line chart's canvas is in its box.
	const drawn = `(() => { const cs = [...document.querySelectorAll('[data-test="usage"] .chart-plot')];
		return cs.length === 3 && cs.every((p) => { const c = p.querySelector("canvas"); return c && c.getBoundingClientRect().width <= p.clientWidth + 1; }); })()`
	read := func(expr string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("read %s: %v", expr, err)
		}
		return out
	}
	stat := func(key string) string {
		t.Helper()
		return read(`document.querySelector('[data-test="usage-` + key + `"] .num').textContent`)
	}
	// Nothing sticks out sideways (tables scroll in their own box).
	overflow := func() string {
		t.Helper()
		return read(`(() => {
			const w = document.documentElement.clientWidth;
			if (document.documentElement.scrollWidth <= w) return "";
			return [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > w + 1 && !el.closest(".table-wrap, .tabs"))
				.slice(0, 5).map((el) => el.tagName + "." + el.className + " " + Math.round(el.getBoundingClientRect().right)).join(", ") || "?";
		})()`)
	}

	step("sign in",
		chromedp.Navigate(e.base+"/console/"), chromedp.WaitVisible(sel("signin-email")),
		chromedp.SendKeys(sel("signin-email"), platformEmail), chromedp.SendKeys(sel("signin-password"), adminPassword),
		chromedp.Click(sel("signin-submit")), chromedp.WaitVisible(sel("tenants-table")))
	step("the tenant's overview shows its charts",
		chromedp.Navigate(e.base+"/console/#/t/acme"), chromedp.WaitVisible(sel("stat-users")),
		until(drawn), until(rows("chart-logins", 30)), shot("tenant-en-1280"))
	// Three days of 2, 3 and 4 logins; new users 2, 1, 1; two refusals today.
	if got := stat("logins"); got != fmt.Sprint(logins) {
		t.Fatalf("the overview's logins over 30 days read %s, want %d", got, logins)
	}
	if got, want := stat("new-users")+"/"+stat("failed")+"/"+stat("mau"), "4/2/4"; got != want {
		t.Fatalf("new users/failed/MAU read %s, want %s", got, want)
	}
	last3 := read(`[...document.querySelectorAll('[data-test="chart-logins"] details tbody tr')].slice(-3).map((r) => r.children[1].textContent).join(",")`)
	if last3 != "2,3,4" {
		t.Fatalf("the last three days' logins read %s, want 2,3,4 (two from the history in MySQL, today from Redis)", last3)
	}
	if got := read(`document.querySelector('[data-test="chart-causes"] tbody').textContent`); !strings.Contains(got, "Invalid or used code") || !strings.Contains(got, "2") {
		t.Fatalf("failed by cause reads %q", got)
	}
	if got := read(`document.querySelector('[data-test="chart-logins"] figcaption').textContent`); got != "Logins per day" {
		t.Fatalf("the logins chart is captioned %q", got)
	}
	if got := read(`document.querySelector('[data-test="usage-apps"]').textContent`); !strings.Contains(got, demoAppID) {
		t.Fatalf("the per-app table reads %q", got)
	}

	step("90 days", choose("usage-days", "90"), until(rows("chart-logins", 90)), until(drawn))
	step("one way in with no use", choose("usage-way", "sms"),
		until(`document.querySelector('[data-test="usage-logins"] .num').textContent === "0"`), until(drawn), shot("tenant-sms"))
	step("the mini-program again", choose("usage-way", "miniprogram"), choose("usage-app", demoAppID),
		until(`document.querySelector('[data-test="usage-logins"] .num').textContent === "`+fmt.Sprint(logins)+`"`), until(drawn))

	step("the platform's page from the tenants list",
		chromedp.Navigate(e.base+"/console/#/tenants"), chromedp.WaitVisible(sel("platform-usage-link")),
		chromedp.Click(sel("platform-usage-link")), chromedp.WaitVisible(sel("usage-tenants")), until(drawn), shot("platform-en-1280"))
	if got := read(`document.querySelector('[data-test="usage-tenants"] tbody').textContent`); !strings.Contains(got, "Acme") || strings.Contains(got, "Globex") {
		t.Fatalf("the platform's top tenants read %q (globex has no use)", got)
	}
	if got := stat("logins"); got != fmt.Sprint(logins) {
		t.Fatalf("the platform's logins read %s, want %d", got, logins)
	}

	step("简体中文", setLang("zh-CN"), until(`document.querySelector("h1") && document.querySelector("h1").textContent === "平台使用情况"`),
		until(drawn), shot("platform-zh-1280"))
	if got := read(`document.querySelector('[data-test="chart-logins"] figcaption').textContent`); got != "每日登录次数" {
		t.Fatalf("the platform's logins chart in Chinese is captioned %q", got)
	}
	step("the tenant in Chinese", chromedp.Navigate(e.base+"/console/#/t/acme"), until(drawn),
		until(`document.querySelector('[data-test="chart-causes"] tbody') !== null`), shot("tenant-zh-1280"))
	if got := read(`document.querySelector('[data-test="chart-causes"] tbody').textContent`); !strings.Contains(got, "code 无效或已使用") {
		t.Fatalf("failed by cause in Chinese reads %q", got)
	}

	for _, l := range []string{"zh-CN", "en"} {
		step("phone width "+l, setLang(l),
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(e.base+"/console/#/t/acme"), chromedp.Reload(), until(drawn), until(rows("chart-logins", 30)),
			shot("tenant-"+l+"-390"))
		if o := overflow(); o != "" {
			t.Fatalf("the overview at 390 px in %s is wider than the phone: %s", l, o)
		}
		step("platform at phone width "+l, chromedp.Navigate(e.base+"/console/#/usage"), chromedp.WaitVisible(sel("usage-tenants")),
			until(drawn), shot("platform-"+l+"-390"))
		if o := overflow(); o != "" {
			t.Fatalf("the platform's page at 390 px in %s is wider than the phone: %s", l, o)
		}
	}

}
