package web

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleCSP is the policy the api package serves the console under
// (api/admin_console.go); the charts must work under it.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// chartServer serves the console's files and the test page of
// testdata/charts.html beside them, under the console's CSP.
func chartServer(t *testing.T) *httptest.Server {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(Console(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Console(), p)
		files[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"charts.html", "charts.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	fileServer := http.FileServerFS(files)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", consoleCSP)
		fileServer.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if testing.Short() {
			t.Skip("chromium not installed")
		}
		t.Fatal("chromium is not installed: run `make deps-chromium` (Debian package chromium)")
	}
	// A deadline, not an expectation: a starved machine renders slowly.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Flag("headless", true),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	return bctx
}

// page is what TestChartsInBrowser reads from the page.
type page struct {
	Problems  []string `json:"problems"`
	Canvases  int      `json:"canvases"`
	CanvasW   float64  `json:"canvas_w"`
	PageW     float64  `json:"page_w"`
	Caption   string   `json:"caption"`
	Summary   string   `json:"summary"`
	TableRows int      `json:"table_rows"`
	BarLabels []string `json:"bar_labels"`
	BarWidths []string `json:"bar_widths"`
	Empty     string   `json:"empty"`
	Legend    string   `json:"legend"`
}

// TestChartsInBrowser draws every kind of chart in headless Chromium under
// the console's CSP, in both languages and at desktop and phone width:
// no CSP violation or script error, the canvas drawn within its box, the
// numbers in the summaries and the tables, bars in proportion.
func TestChartsInBrowser(t *testing.T) {
	srv := chartServer(t)
	ctx := chromium(t)
	shots := os.Getenv("MINIAUTH_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join("..", ".screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		lang, caption, unknown string
		width, height          int64
	}{
		{"en", "Logins", "a_cause_from_the_future", 1280, 900},
		{"zh-CN", "登录次数", "a_cause_from_the_future", 390, 844},
	}
	for _, tc := range cases {
		t.Run(tc.lang+"-"+strconv.FormatInt(tc.width, 10), func(t *testing.T) {
			wait := func(expr string) {
				t.Helper()
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
					t.Fatalf("waiting for %s: %v", expr, err)
				}
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, tc.height),
				chromedp.Navigate(srv.URL+"/charts.html?lang="+tc.lang),
				chromedp.WaitVisible(`body[data-ready="1"]`)); err != nil {
				t.Fatal(err)
			}
			// uPlot's stylesheet is linked by chart.js; then the ResizeObserver
			// fits the chart to its box.
			wait(`[...document.styleSheets].some((s) => s.href && s.href.endsWith("uPlot.min.css"))`)
			wait(`(() => {
				const c = document.querySelector('[data-test="chart-logins"] canvas');
				return c && c.getBoundingClientRect().width <= document.querySelector('[data-test="chart-logins"] .chart-plot').clientWidth + 1;
			})()`)
			r, err := chromedp.Run(ctx, chromedp.Evaluate[page](`({
				problems: window.chartProblems,
				canvases: document.querySelectorAll("canvas").length,
				canvas_w: document.querySelector('[data-test="chart-logins"] canvas').getBoundingClientRect().width,
				page_w: document.documentElement.scrollWidth,
				caption: document.querySelector('[data-test="chart-logins"] figcaption').textContent,
				summary: document.querySelector('[data-test="chart-logins"] .chart-plot').getAttribute("aria-label"),
				table_rows: document.querySelectorAll('[data-test="chart-logins"] details tbody tr').length,
				bar_labels: [...document.querySelectorAll('[data-test="chart-causes"] tbody th')].map((e) => e.textContent),
				bar_widths: [...document.querySelectorAll('[data-test="chart-causes"] .bar')].map((e) => e.style.width),
				empty: document.querySelector('[data-test="chart-none"] .empty')?.textContent || "",
				legend: document.querySelector('[data-test="chart-logins"] .u-legend').textContent,
			})`))
			if err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(filepath.Join(shots, "charts-"+tc.lang+"-"+strconv.FormatInt(tc.width, 10)+".png"), png, 0o644)

			if len(r.Problems) > 0 {
				t.Fatalf("problems in the page: %v", r.Problems)
			}
			if r.Canvases < 2 || r.CanvasW < 200 || r.CanvasW > float64(tc.width) || r.PageW > float64(tc.width) {
				t.Fatalf("%d canvases, chart %.0f px wide, page %.0f px, in a %d px window", r.Canvases, r.CanvasW, r.PageW, tc.width)
			}
			if r.Caption != tc.caption || r.TableRows != 30 {
				t.Fatalf("caption %q, %d table rows", r.Caption, r.TableRows)
			}
			// 1000 + 1037 + … + 2073 = 46095; the last day 2073.
			for _, n := range []string{"46", "2", "073", "2026-11-30"} {
				if !strings.Contains(r.Summary, n) {
					t.Fatalf("summary %q lacks %q", r.Summary, n)
				}
			}
			if len(r.BarLabels) != 2 || r.BarLabels[1] != tc.unknown || r.BarWidths[0] != "100%" || r.BarWidths[1] != "25%" {
				t.Fatalf("bars %v %v", r.BarLabels, r.BarWidths)
			}
			if !strings.Contains(r.Legend, "2026-11-30") || !strings.Contains(r.Legend, "2,073") {
				t.Fatalf("the legend away from the pointer says %q, not the last day", r.Legend)
			}
			if r.Empty == "" {
				t.Fatal("an empty bar chart says nothing")
			}
		})
	}
}
