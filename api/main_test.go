package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"miniauth/tenants/tenantstest"
)

// Every log line any test of this package writes lands in suiteLogs, and
// every secret the tests see (codes, tokens, keys, AppSecrets, session_keys)
// in suiteSecrets. After the whole suite, TestMain checks that not one of
// them reached a log line.
var (
	suiteLogs    tenantstest.SyncBuffer
	suiteSecrets sync.Map // secret → what it is
)

func TestMain(m *testing.M) {
	remember(demoSecret, "AppSecret")
	code := m.Run()
	if code == 0 {
		code = reportSpecFailures()
	}
	if code == 0 {
		if leaks := scanLogs(); len(leaks) > 0 {
			fmt.Fprintln(os.Stderr, "secrets found in the logs of the test suite:")
			for _, l := range leaks {
				fmt.Fprintln(os.Stderr, "  ", l)
			}
			code = 1
		}
	}
	os.Exit(code)
}

func remember(secret, what string) {
	if len(secret) >= 8 {
		suiteSecrets.Store(secret, what)
	}
}

// tokenShaped matches miniauth's prefixed secrets anywhere in a log.
var tokenShaped = regexp.MustCompile(`\bma[a-z]_[A-Za-z0-9_-]{20,}`)

func scanLogs() []string {
	logs := suiteLogs.String()
	var leaks []string
	suiteSecrets.Range(func(k, v any) bool {
		if secret, ok := k.(string); ok && strings.Contains(logs, secret) {
			leaks = append(leaks, fmt.Sprintf("%s %.6s…", v, k))
		}
		return true
	})
	for _, m := range tokenShaped.FindAllString(logs, 5) {
		leaks = append(leaks, fmt.Sprintf("token-shaped value %.6s…", m))
	}
	sort.Strings(leaks)
	return leaks
}

// secretFields are JSON fields whose string values are secrets.
var secretFields = map[string]string{
	"code": "code", "phone_code": "phone code", "session": "session token", "token": "token",
	"access_token": "access token", "signup_ticket": "signup ticket", "key": "API key", "api_key": "API key",
	"secret": "secret", "app_secret": "AppSecret", "password": "password", "csrf_token": "CSRF token",
	"encrypted_data": "encrypted data", "session_key": "session_key",
	"mfa_token": "MFA token", "recovery_codes": "recovery code", "otpauth_url": "TOTP secret",
	"current_password": "password", "new_password": "password",
}

// rememberJSON records the secrets in a request or response body.
func rememberJSON(raw string) {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k != "error" && k != "phone_error" { // an error's "code" is no secret
					walk(k, e)
				}
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			if what, ok := secretFields[key]; ok {
				remember(x, what)
			}
		}
	}
	walk("", v)
}
