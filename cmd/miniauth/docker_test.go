package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerFilesMatchTheCode checks what can be checked of the Dockerfile
// and docker-compose.yml without building an image (no image registry is
// reachable from the build machines): every MINIAUTH_* variable the stack
// sets is one this command reads, and the Go image is the go.mod version.
func TestDockerFilesMatchTheCode(t *testing.T) {
	known := map[string]bool{}
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`"(MINIAUTH_[A-Z0-9_]+)"`)
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			known[m[1]] = true
		}
	}
	if !known["MINIAUTH_MASTER_KEY"] || !known["MINIAUTH_MYSQL_DSN"] {
		t.Fatalf("found no configuration variables in the sources: %v", known)
	}

	compose, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	// A mapping key "  MINIAUTH_X: value" or a list item "  - MINIAUTH_X=value".
	setting := regexp.MustCompile(`(?m)^\s+(?:-\s+)?(MINIAUTH_[A-Z0-9_]+)\s*[:=]`)
	set := setting.FindAllStringSubmatch(string(compose), -1)
	if len(set) < 5 {
		t.Fatalf("docker-compose.yml sets only %d MINIAUTH_* variables: is the check still reading it right?", len(set))
	}
	for _, m := range set {
		if !known[m[1]] {
			t.Errorf("docker-compose.yml sets %s, which miniauth does not read (cmd/miniauth/config.go)", m[1])
		}
	}

	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	image := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)\S*`).FindSubmatch(dockerfile)
	switch {
	case goLine == nil:
		t.Fatal("go.mod has no go line")
	case image == nil:
		t.Error("the Dockerfile builds FROM no golang:<version> image")
	case string(image[1]) != string(goLine[1]):
		t.Errorf("the Dockerfile builds with golang:%s, go.mod says go %s", image[1], goLine[1])
	}
}
