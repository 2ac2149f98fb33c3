package api_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackendExamples runs the Go and Node examples of docs/backends.md,
// taken from the page itself so that they cannot drift, against this API on
// a real port: each must accept an access token of the tenant and refuse a
// tampered one and one of another tenant.
func TestBackendExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/backends.md")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	r := e.loginFull("backend-example")
	token, _ := r.Body["access_token"].(string)
	user, _ := r.Body["user"].(map[string]any)
	if token == "" || user == nil {
		t.Fatalf("login answer: %s", r.Raw)
	}
	env := append(os.Environ(), "MINIAUTH_ISSUER="+e.base+"/t/acme", "MINIAUTH_TENANT=acme")
	dot := strings.LastIndexByte(token, '.')
	tampered := token[:dot+1] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, token[dot+1:])

	examples := []struct {
		name, heading, lang string
		setup               func(t *testing.T, dir, code string) []string // writes the program, returns the command
	}{
		{"go", "### Go (", "go", goExample},
		{"node", "### Node (", "js", nodeExample},
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			code := fencedBlock(t, string(doc), ex.heading, ex.lang)
			argv := ex.setup(t, t.TempDir(), code)
			run := func(extraEnv []string, tok string) (string, error) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], tok)...)
				cmd.Dir = filepath.Dir(argv[len(argv)-1])
				cmd.Env = append(append([]string{}, env...), extraEnv...)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := run(nil, token)
			if err != nil || !strings.Contains(out, `"user_id":"`+get[string](t, user, "id")+`"`) {
				t.Fatalf("a valid token: %v\n%s", err, out)
			}
			var exit *exec.ExitError
			if out, err := run(nil, tampered); !errors.As(err, &exit) || !strings.Contains(out, "invalid token") {
				t.Errorf("a tampered token: %v\n%s", err, out)
			}
			if out, err := run([]string{"MINIAUTH_TENANT=globex"}, token); !errors.As(err, &exit) || !strings.Contains(out, "invalid token") {
				t.Errorf("another tenant's audience: %v\n%s", err, out)
			}
		})
	}
}

// fencedBlock returns the first ```lang block after the line starting with
// heading.
func fencedBlock(t *testing.T, doc, heading, lang string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading)
	if i < 0 {
		t.Fatalf("docs/backends.md has no heading %q", heading)
	}
	rest := doc[i:]
	start := strings.Index(rest, "\n```"+lang+"\n")
	if start < 0 {
		t.Fatalf("no ```%s block after %q", lang, heading)
	}
	rest = rest[start+len("\n```"+lang+"\n"):]
	end := strings.Index(rest, "\n```\n")
	if end < 0 {
		t.Fatalf("the ```%s block after %q is not closed", lang, heading)
	}
	return rest[:end+1]
}

// goExample makes a module of the program, using golang-jwt at the version
// and checksums of this repository's go.mod and go.sum (no download when
// the module cache has it).
func goExample(t *testing.T, dir, code string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	const mod = "github.com/golang-jwt/jwt/v5"
	version := ""
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == mod {
			version = f[1]
		}
	}
	if version == "" {
		t.Fatalf("go.mod does not require %s", mod)
	}
	var sum strings.Builder
	f, err := os.Open("../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), mod+" "+version) {
			sum.WriteString(sc.Text() + "\n")
		}
	}
	write(t, filepath.Join(dir, "go.mod"), "module verify\n\ngo 1.25\n\nrequire "+mod+" "+version+"\n")
	write(t, filepath.Join(dir, "go.sum"), sum.String())
	write(t, filepath.Join(dir, "main.go"), code)
	// Build once, so that each run below is the program alone.
	bin := filepath.Join(dir, "verify")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Go example does not build: %v\n%s", err, out)
	}
	return []string{bin}
}

func nodeExample(t *testing.T, dir, code string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("MINIAUTH_TEST_REQUIRE_NODE") != "" {
			t.Fatal("node is not installed; the Node example needs Node 18 or later")
		}
		t.Skip("node is not installed")
	}
	write(t, filepath.Join(dir, "verify.js"), code)
	return []string{node, filepath.Join(dir, "verify.js")}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
