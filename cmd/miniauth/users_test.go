package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestUsersImport(t *testing.T) {
	emptyDatabase(t)
	if _, err := runCLI(t, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "cli-app-secret-0123456789\n", "tenant", "create", "--slug", "demo", "--name", "Demo", "--appid", "wx0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("phone,name,external_id\n")
	for i := 0; i < 3000; i++ { // beyond what fits the admin API's 64 KiB body
		csv.WriteString("+86 139" + pad8(i) + ",用户" + pad8(i) + ",ext-" + pad8(i) + "\n")
	}
	out, err := runCLI(t, csv.String(), "users", "import", "--tenant", "demo")
	if err != nil || !strings.Contains(out, `"created": 3000`) {
		t.Fatalf("import: %q %v", out, err)
	}
	out, err = runCLI(t, `[{"phone":"13900000000","name":"改名","external_id":"ext-00000000"}]`, "users", "import", "--tenant", "demo", "--format", "json")
	if err != nil || !strings.Contains(out, `"updated": 1`) {
		t.Fatalf("json import: %q %v", out, err)
	}
	out, err = runCLI(t, "phone\n123\n", "users", "import", "--tenant", "demo")
	if err == nil || !strings.Contains(out, `"line": 2`) {
		t.Fatalf("bad line: %q %v", out, err)
	}
	if _, err := runCLI(t, "phone\n13900000001\n", "users", "import", "--tenant", "nope"); err == nil {
		t.Fatal("import into an unknown tenant succeeded")
	}
	if _, err := runCLI(t, "", "users", "import", "--tenant", "demo", "--format", "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func pad8(i int) string { return fmt.Sprintf("%08d", i) }
