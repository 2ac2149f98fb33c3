package main

import (
	"strings"
	"testing"
	"time"

	"miniauth/tenants/tenantstest"
)

func TestLogBufferFlushes(t *testing.T) {
	var out tenantstest.SyncBuffer
	b := newLogBuffer(&out, 20*time.Millisecond)
	if _, err := b.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("a line waited more than 10s: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, _ = b.Write([]byte("two\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after Close: %q", got)
	}
	big := strings.Repeat("x", 70<<10)
	b = newLogBuffer(&out, time.Hour)
	defer b.Close()
	_, _ = b.Write([]byte(big))
	if !strings.Contains(out.String(), big[:1000]) {
		t.Fatal("64 KiB waiting were not written at once")
	}
}
