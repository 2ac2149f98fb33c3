package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestAPIKeyAndSigningKeyCommands(t *testing.T) {
	emptyDatabase(t)
	if _, err := runCLI(t, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "acme-app-secret-0123456789\n", "tenant", "create", "--slug", "acme", "--name", "Acme", "--appid", "wxacme00000001"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "", "apikey", "create", "--tenant", "acme", "--name", "orders")
	var created struct {
		Key    string `json:"key"`
		APIKey struct {
			ID     int64  `json:"id"`
			Prefix string `json:"prefix"`
		} `json:"api_key"`
	}
	if err != nil || json.Unmarshal([]byte(out), &created) != nil || !strings.HasPrefix(created.Key, "mak_") || created.APIKey.ID == 0 {
		t.Fatalf("apikey create = %q, %v", out, err)
	}
	out, err = runCLI(t, "", "apikey", "list", "--tenant", "acme")
	if err != nil || strings.Contains(out, created.Key) || !strings.Contains(out, created.APIKey.Prefix) {
		t.Fatalf("apikey list = %q, %v", out, err)
	}
	if _, err := runCLI(t, "", "apikey", "revoke", "--tenant", "acme", "--id", "1"); err != nil {
		t.Fatalf("apikey revoke: %v", err)
	}
	if out, _ := runCLI(t, "", "apikey", "list", "--tenant", "acme"); !strings.Contains(out, `"revoked_at": "`) {
		t.Fatalf("revoked key not shown as revoked: %s", out)
	}
	if _, err := runCLI(t, "", "apikey", "create", "--tenant", "nobody"); err == nil {
		t.Fatal("a key for an unknown tenant")
	}
	if _, err := runCLI(t, "", "apikey", "create"); !errors.Is(err, errUsage) {
		t.Fatalf("apikey create without --tenant: %v", err)
	}

	// The first use makes the current and next keys; rotating right away
	// is refused, since the next key was only just published.
	out, err = runCLI(t, "", "signing-key", "list", "--tenant", "acme")
	if err != nil || strings.Count(out, `"kid"`) != 2 {
		t.Fatalf("signing-key list = %q, %v", out, err)
	}
	if _, err := runCLI(t, "", "signing-key", "rotate", "--tenant", "acme"); err == nil || !strings.Contains(err.Error(), "may sign from") {
		t.Fatalf("early rotation: %v", err)
	}
	if _, err := runCLI(t, "", "signing-key", "rotate", "--tenant", "acme", "--alg", "RS256"); err == nil {
		t.Fatal("rotation to RS256 accepted")
	}
}
