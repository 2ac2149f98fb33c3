package keyring_test

import (
	"testing"

	"miniauth/tenants/tenantstest"
)

// BenchmarkSeal seals a WeChat session_key (AES-256-GCM with associated
// data), as every login does.
func BenchmarkSeal(b *testing.B) {
	ring := tenantstest.Keyring(b)
	plain := []byte("tiihtNczf5v6AKRyjwEUhQ==")
	b.ReportAllocs()
	for b.Loop() {
		if sealed, _ := ring.Seal(plain, "session-key:1:abc"); len(sealed) == 0 {
			b.Fatal("nothing sealed")
		}
	}
}

// BenchmarkOpen opens a sealed AppSecret, as every login does.
func BenchmarkOpen(b *testing.B) {
	ring := tenantstest.Keyring(b)
	sealed, kid := ring.Seal([]byte("0123456789abcdef0123456789abcdef"), "app-secret:1:wx0123456789")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Open(sealed, kid, "app-secret:1:wx0123456789"); err != nil {
			b.Fatal(err)
		}
	}
}
