package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"miniauth/api"
	"miniauth/web"
)

// TestAdminScreensTranslated: every key the admin-account screens use has
// an English and a Chinese text, and so has every error code those
// screens' calls answer (err_<code>).
func TestAdminScreensTranslated(t *testing.T) {
	file := func(name string) string {
		b, err := fs.ReadFile(web.Console(), name)
		if err != nil {
			t.Fatalf("%s is not embedded: %v", name, err)
		}
		return string(b)
	}
	src := file("i18n.js")
	dict := func(name string) map[string]bool {
		start := strings.Index(src, "const "+name+" = {")
		end := strings.Index(src[start:], "\n};")
		if start < 0 || end < 0 {
			t.Fatalf("i18n.js has no dictionary %s", name)
		}
		keys := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)(?:^|[{,]\s*|^\s+)(\w+): "`).FindAllStringSubmatch(src[start:start+end], -1) {
			keys[m[1]] = true
		}
		return keys
	}
	en, zh := dict("en"), dict("zh")
	need := map[string]bool{}
	for _, f := range []string{"views/admins.js", "views/account.js", "views/mfa.js", "views/invite.js"} {
		// Whole keys only: t("status_" + x) is covered below.
		for _, m := range regexp.MustCompile(`\bt\("(\w+)"[,)]`).FindAllStringSubmatch(file(f), -1) {
			need[m[1]] = true
		}
	}
	for _, code := range []string{api.CodeInvalidMFACode, api.CodeInvalidMFAToken, api.CodeMFAEnrolmentRequired,
		api.CodeMFAAlreadyEnabled, api.CodeMFANotEnabled, api.CodeMFAEnrolmentExpired, api.CodeWrongPassword,
		api.CodeLastPlatformAdmin, api.CodeInvalidInvite, api.CodeRateLimited, api.CodeForbidden, api.CodeConflict,
		api.CodeTenantNotFound} {
		need["err_"+code] = true
	}
	need["status_invited"] = true
	for k := range need {
		if !en[k] || !zh[k] {
			t.Errorf("%q lacks a language (en %v, zh %v)", k, en[k], zh[k])
		}
	}
}
