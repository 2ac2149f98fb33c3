package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// What every console test in Chromium shares (browser and screenshotDir are
// in console_browser_test.go).

// consoleRun drives one console test in headless Chromium: steps with a
// generous deadline each, screenshots under the test's output, and every
// console error or uncaught exception kept to fail the test at its end.
type consoleRun struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	mu       sync.Mutex
	problems []string
}

func newConsoleRun(t *testing.T) *consoleRun {
	r := &consoleRun{t: t, ctx: browser(t), dir: filepath.Join(screenshotDir(t), t.Name())}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(r.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && m.Source != "network" {
				r.mu.Lock()
				r.problems = append(r.problems, m.String())
				r.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.problems) > 0 {
			t.Errorf("the console logged errors:\n%s", strings.Join(r.problems, "\n"))
		}
	})
	return r
}

func sel(test string) chromedp.CSS { return chromedp.CSS(`[data-test="` + test + `"]`) }

func (r *consoleRun) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(r.dir, name+".png"), buf, 0o644)
	})
}

func (r *consoleRun) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	r.t.Helper()
	sctx, cancel := context.WithTimeout(r.ctx, 2*time.Minute) // a deadline for a starved machine, not an expectation
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		_ = chromedp.Do(r.ctx, r.shot("failed-"+strings.ReplaceAll(name, " ", "-")))
		r.t.Fatalf("%s: %v", name, err)
	}
}

// text reads the text of the element s. A view that renders again (a
// list refetched after a change) replaces its nodes between the query and
// the read; the read then queries again, for up to 30 seconds.
func (r *consoleRun) text(s chromedp.CSS) string {
	r.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err := chromedp.Run(r.ctx, chromedp.Text(s))
		if err == nil {
			return out
		}
		if !strings.Contains(err.Error(), "given id") || time.Now().After(deadline) {
			r.t.Fatalf("read %s: %v", s, err)
		}
	}
}

// eval runs a JavaScript expression in the page and returns its string.
func (r *consoleRun) eval(expr string) string {
	r.t.Helper()
	out, err := chromedp.Run(r.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		r.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return out
}

// do runs JavaScript for its effect, as a step.
func do(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { `+expr+`; return true; })()`)(ctx, tg)
		return err
	})
}

// setValue sets a field the way a user's typing ends (input and change).
func setValue(test, value string) chromedp.Action[chromedp.Void] {
	return do(fmt.Sprintf(`const el = document.querySelector('[data-test=%q]'); el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true}))`, test, value))
}

func setLanguage(l string) chromedp.Action[chromedp.Void] {
	return do(`const s = document.querySelector('[data-test="lang"]'); s.value = "` + l + `"; s.dispatchEvent(new Event("change"))`)
}

func hideToast() chromedp.Action[chromedp.Void] {
	return do(`document.getElementById("toast").hidden = true`)
}

var confirmOK = chromedp.Steps(chromedp.WaitVisible(sel("confirm-ok")), chromedp.Click(sel("confirm-ok")))

func (r *consoleRun) signIn(base, email string) {
	r.t.Helper()
	r.step("sign in as "+email,
		chromedp.WaitVisible(sel("signin-email")),
		setValue("signin-email", email), setValue("signin-password", adminPassword),
		chromedp.Click(sel("signin-submit")), chromedp.WaitNotPresent(sel("signin-email")))
}

// js runs an expression in the page for its effect, as a step; the
// expression is evaluated as it is and must give a boolean (do wraps a
// statement instead). DevTools may run it: the page's CSP binds the page's
// own scripts.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr)(ctx, tg)
		return err
	})
}
