package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// TestMiniProgramSDK runs the mini-program SDK's tests (web/miniprogram,
// Node's built-in test runner) against this API on a real port, with the
// WeChat simulator reached over HTTP. They also verify the access tokens
// with Node's crypto alone, fetching the JWKS over HTTP.
func TestMiniProgramSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("MINIAUTH_TEST_REQUIRE_NODE") != "" {
			t.Fatal("node is not installed; the SDK tests need Node 20 or later")
		}
		t.Skip("node is not installed; the SDK tests need Node 20 or later")
	}
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.reg.Create(ctx, tenants.NewTenant{Slug: "globex", Name: "Globex", AppID: otherAppID,
		Secret: "other-app-secret-0123456789", Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	// Tenants that want an explicit sign-up, for the SDK's register().
	for _, p := range []struct{ slug, appid, policy string }{
		{"initech", signupAppID, tenants.RegistrationSignup},
		{"hooli", existingOnlyAppID, tenants.RegistrationExistingOnly},
	} {
		e.wx.AddApp(p.appid, p.slug+"-app-secret-0123456789", "")
		tn, err := e.reg.Create(ctx, tenants.NewTenant{Slug: p.slug, Name: p.slug, AppID: p.appid,
			Secret: p.slug + "-app-secret-0123456789", Actor: audit.CLI})
		if err != nil {
			t.Fatal(err)
		}
		st := tn.Settings
		st.Registration = p.policy
		if err := e.reg.Update(ctx, tn.ID, tenants.Update{Settings: &st, Actor: audit.CLI}); err != nil {
			t.Fatal(err)
		}
	}
	wxHTTP := httptest.NewServer(e.wx.Handler()) // the same simulator, for the "phone" side
	t.Cleanup(wxHTTP.Close)

	// An access token that expired 45 minutes ago, signed by acme's key.
	e.clock.Add(-time.Hour)
	expired, _, err := e.tokens.Issue(ctx, sessions.Mint{TenantID: e.tenant.ID, Issuer: e.base + "/t/acme",
		Audience: "acme", Subject: "u_expired", SessionID: "sid"})
	e.clock.Add(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	eddsaToken, eddsaJWKS := eddsaFixture(t, e)

	dir, err := filepath.Abs("../web/miniprogram")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "test", "*.test.js"))
	if len(files) == 0 {
		t.Fatal("no SDK tests found")
	}
	ctxRun, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctxRun, node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"MINIAUTH_URL="+e.base, "WXMOCK_URL="+wxHTTP.URL,
		"MINIAUTH_TENANT=acme", "MINIAUTH_APPID="+demoAppID,
		"MINIAUTH_OTHER_TENANT=globex", "MINIAUTH_OTHER_APPID="+otherAppID,
		"MINIAUTH_SIGNUP_TENANT=initech", "MINIAUTH_SIGNUP_APPID="+signupAppID,
		"MINIAUTH_EXISTING_ONLY_TENANT=hooli", "MINIAUTH_EXISTING_ONLY_APPID="+existingOnlyAppID,
		"MINIAUTH_TEST_EXPIRED_TOKEN="+expired,
		"MINIAUTH_TEST_EDDSA_TOKEN="+eddsaToken, "MINIAUTH_TEST_EDDSA_JWKS="+eddsaJWKS,
		"MINIAUTH_TEST_EDDSA_ISSUER=https://auth.example.test/t/edwards", "MINIAUTH_TEST_EDDSA_AUDIENCE=edwards",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "fail 0") || !strings.Contains(string(out), "skipped 0") {
		t.Fatalf("unexpected node --test summary:\n%s", out)
	}
	t.Logf("node --test:\n%s", lastLines(string(out), 18))
}

// The mini-programs of the SDK tests' sign-up tenants.
const (
	signupAppID       = "wx5190000000000001"
	existingOnlyAppID = "wx5190000000000002"
)

// eddsaFixture signs a token with an Ed25519 key of a tenant of its own
// and returns it with that tenant's JWKS, for the Node side to verify.
func eddsaFixture(t *testing.T, e *env) (token, jwks string) {
	t.Helper()
	ctx := context.Background()
	tn, err := e.reg.Create(ctx, tenants.NewTenant{Slug: "edwards", Name: "Edwards", AppID: "wxedwards0001",
		Secret: "edwards-app-secret-0123456", Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	keys := sessions.NewSigningKeys(e.db, tenantstest.Keyring(t), sessions.KeyPolicy{Alg: sessions.AlgEdDSA}, nil)
	token, _, err = sessions.NewAccessTokens(keys).Issue(ctx, sessions.Mint{TenantID: tn.ID,
		Issuer: "https://auth.example.test/t/edwards", Audience: "edwards", Subject: "u_edwards", SessionID: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	published, err := keys.Published(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	set, err := sessions.JWKS(published)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(set)
	return token, string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
