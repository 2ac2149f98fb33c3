package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(Console(), name)
	if err != nil {
		t.Fatalf("%s is not embedded: %v", name, err)
	}
	return string(b)
}

// TestVendoredUPlot: uPlot is embedded with its licence, and its files are
// the ones its README names, byte for byte.
func TestVendoredUPlot(t *testing.T) {
	note := read(t, "vendor/uplot/README.md")
	if lic := read(t, "vendor/uplot/LICENSE"); !strings.Contains(lic, "MIT License") || !strings.Contains(lic, "Leon Sorokin") {
		t.Fatalf("LICENSE is not uPlot's MIT licence: %.80q", lic)
	}
	if !strings.Contains(note, "Version: 1.6.32") || !strings.Contains(note, "Licence: MIT") {
		t.Fatal("README.md does not say the version and the licence")
	}
	for _, name := range []string{"uPlot.esm.js", "uPlot.min.css", "LICENSE"} {
		sum := sha256.Sum256([]byte(read(t, "vendor/uplot/"+name)))
		if want := "| `" + name + "` | `" + hex.EncodeToString(sum[:]) + "` |"; !strings.Contains(note, want) {
			t.Errorf("%s differs from the sum in README.md (want the line %s)", name, want)
		}
	}
	if js := read(t, "vendor/uplot/uPlot.esm.js"); !strings.Contains(js, "export { uPlot as default }") {
		t.Fatal("uPlot.esm.js is not the ES module build")
	}
	if !strings.Contains(read(t, "chart.js"), `from "./vendor/uplot/uPlot.esm.js"`) {
		t.Fatal("chart.js does not import the vendored uPlot")
	}
}

// TestChartsKeepTheCSP: nothing that the charts load needs what the
// console's Content-Security-Policy forbids (eval, markup from strings,
// style attributes); styles go through the CSSOM only.
func TestChartsKeepTheCSP(t *testing.T) {
	forbidden := regexp.MustCompile(`\beval\(|new Function|Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|` +
		`setAttribute\(\s*["']style|\.cssText|style=|insertRule|<style`)
	for _, name := range []string{"chart.js", "views/usage.js", "vendor/uplot/uPlot.esm.js"} {
		if m := forbidden.FindString(read(t, name)); m != "" {
			t.Errorf("%s uses %q, which the console's CSP refuses", name, m)
		}
	}
}

// TestChartKeysTranslated: every key the charts use has an English and a
// Chinese text, and the two languages have the same chart keys.
func TestChartKeysTranslated(t *testing.T) {
	src := read(t, "i18n.js")
	dict := func(name string) []string {
		start := strings.Index(src, "const "+name+" = {")
		end := strings.Index(src[start:], "\n};")
		if start < 0 || end < 0 {
			t.Fatalf("i18n.js has no dictionary %s", name)
		}
		var keys []string
		for _, m := range regexp.MustCompile(`(?m)(?:^|[{,]\s*|^\s+)(\w+): "`).FindAllStringSubmatch(src[start:start+end], -1) {
			keys = append(keys, m[1])
		}
		return keys
	}
	en, zh := dict("en"), dict("zh")
	chart := func(keys []string) []string {
		var out []string
		for _, k := range keys {
			if strings.HasPrefix(k, "chart") || strings.HasPrefix(k, "way_") || strings.HasPrefix(k, "cause_") ||
				strings.HasPrefix(k, "usage") || strings.HasPrefix(k, "platformUsage") {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if a, b := chart(en), chart(zh); !slices.Equal(a, b) || len(a) == 0 {
		t.Fatalf("chart keys differ:\nen %v\nzh %v", a, b)
	}
	for _, name := range []string{"chart.js", "views/usage.js"} {
		for _, m := range regexp.MustCompile(`\bt\("(\w+)"`).FindAllStringSubmatch(read(t, name), -1) {
			if !slices.Contains(en, m[1]) || !slices.Contains(zh, m[1]) {
				t.Errorf("%s uses %q, which i18n.js lacks in a language", name, m[1])
			}
		}
	}
}
