package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// Helpers of the registration tests (issue 4).

// settings changes the tenant's settings and drops it from the cache.
func (e *env) settings(change func(*tenants.Settings)) {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.reg.BySlug(ctx, "acme")
	if err != nil {
		e.t.Fatal(err)
	}
	st := tn.Settings
	change(&st)
	if err := e.reg.Update(ctx, tn.ID, tenants.Update{Settings: &st, Actor: audit.CLI}); err != nil {
		e.t.Fatal(err)
	}
	e.reg.Invalidate(ctx, "acme")
}

// phoneCode is what the getPhoneNumber button would give user.
func (e *env) phoneCode(appid, user string) string {
	e.t.Helper()
	c, err := e.wx.IssuePhoneCode(appid, user)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(c, "phone code")
	return c
}

// loginBody logs in with body and fails unless the answer is 200.
func (e *env) loginBody(body string) response {
	e.t.Helper()
	r := e.do("POST", "/t/acme/login", body)
	if r.Status != 200 {
		e.t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	return r
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// hop makes one GET without following redirects; rawURL is absolute or a
// path of the API.
func (e *env) hop(rawURL string, header ...string) (*http.Response, string) {
	e.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = e.base + rawURL
	}
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// location parses a redirect's target.
func location(t *testing.T, res *http.Response) *url.URL {
	t.Helper()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func tenantsCLI() audit.Actor { return audit.CLI }

func tenantsNewApp(appid string) tenants.NewApp {
	return tenants.NewApp{AppID: appid, Secret: "other-app-secret-0123456789", Actor: audit.CLI}
}

// doAt is do against another node's base URL. Safe in goroutines: a
// transport failure is status 0, not a t.Fatal.
func (e *env) doAt(base, method, path, body string, header ...string) response {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return response{}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return response{}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw), t: e.t}
	_ = json.Unmarshal(raw, &r.Body)
	rememberJSON(string(raw))
	return r
}
