package wechattest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"miniauth/tenants/wechat/wechattest"
)

// TestConcurrentLogins is meant for -race: many users log in at once.
func TestConcurrentLogins(t *testing.T) {
	f := newFixture(t, wechattest.Options{})
	const n = 40
	keys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			user := fmt.Sprintf("user-%d", i)
			code, err := f.fake.IssueCode(appA, user)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i], err = sessionKey(f.url, code)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for i, k := range keys {
		if k == "" || seen[k] {
			t.Errorf("login %d: session_key %q missing or repeated", i, k)
		}
		seen[k] = true
	}
	if got := f.fake.Calls("jscode2session"); got != n {
		t.Errorf("Calls = %d, want %d", got, n)
	}
}

// sessionKey logs in to app A without t.Fatal, which goroutines must not call.
func sessionKey(base, code string) (string, error) {
	q := url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {code}, "grant_type": {"authorization_code"}}
	resp, err := http.Get(base + "/sns/jscode2session?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		SessionKey string `json:"session_key"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	return body.SessionKey, err
}
