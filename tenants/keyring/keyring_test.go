package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func newKey(t testing.TB) string {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func TestSealRoundTripAndBinding(t *testing.T) {
	k, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	sealed, kid := k.Seal(secret, "app-secret:1:wx1")
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, _ := k.Seal(secret, "app-secret:1:wx1")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: nonce is not random")
	}
	got, err := k.Open(sealed, kid, "app-secret:1:wx1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := map[string]struct {
		sealed []byte
		kid    string
		ad     string
	}{
		"other tenant": {sealed, kid, "app-secret:2:wx1"},
		"other app":    {sealed, kid, "app-secret:1:wx2"},
		"tampered":     {tampered, kid, "app-secret:1:wx1"},
		"unknown key":  {sealed, "deadbeef", "app-secret:1:wx1"},
		"truncated":    {sealed[:10], kid, "app-secret:1:wx1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Open(c.sealed, c.kid, c.ad); !errors.Is(err, ErrUnseal) {
				t.Fatalf("Open = %v, want ErrUnseal", err)
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	oldKey, newKeyB64 := newKey(t), newKey(t)
	oldRing, _ := New(oldKey)
	sealed, kid := oldRing.Seal([]byte("s"), "ad")

	ring, err := New(newKeyB64, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if ring.CurrentKeyID() == kid {
		t.Fatal("current key id did not change")
	}
	if got, err := ring.Open(sealed, kid, "ad"); err != nil || string(got) != "s" {
		t.Fatalf("old value does not open after rotation: %v", err)
	}
	_, newKid := ring.Seal([]byte("s"), "ad")
	if newKid != ring.CurrentKeyID() {
		t.Fatalf("sealed with %s, want current %s", newKid, ring.CurrentKeyID())
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	for _, k := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := New(k); err == nil {
			t.Errorf("New(%q) accepted a bad key", k)
		}
	}
}

func TestDeriveKey(t *testing.T) {
	a, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.DeriveKey("sms-code"), a.DeriveKey("sms-code")) || len(a.DeriveKey("x")) != 32 {
		t.Fatal("DeriveKey is not stable")
	}
	if bytes.Equal(a.DeriveKey("sms-code"), a.DeriveKey("other")) || bytes.Equal(a.DeriveKey("sms-code"), b.DeriveKey("sms-code")) {
		t.Fatal("DeriveKey does not separate labels or keys")
	}
}

// A value sealed with a nonce its owner carries opens with that nonce, its
// key and its ad only, and stores no nonce of its own.
func TestSealWithNonce(t *testing.T) {
	k, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	secret := []byte("0123456789abcdef")
	sealed, kid := k.SealWithNonce(nonce, secret, "session-key:1:x")
	if len(sealed) != len(secret)+16 || bytes.Contains(sealed, secret) {
		t.Fatalf("sealed %x: want the ciphertext and the tag alone", sealed)
	}
	if got, err := k.OpenWithNonce(nonce, sealed, kid, "session-key:1:x"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("OpenWithNonce = %q, %v", got, err)
	}
	other := bytes.Repeat([]byte{8}, NonceSize)
	for name, c := range map[string]struct {
		nonce, sealed []byte
		kid, ad       string
	}{
		"other nonce":  {other, sealed, kid, "session-key:1:x"},
		"short nonce":  {nonce[:8], sealed, kid, "session-key:1:x"},
		"other ad":     {nonce, sealed, kid, "session-key:2:x"},
		"unknown key":  {nonce, sealed, "deadbeef", "session-key:1:x"},
		"truncated":    {nonce, sealed[:10], kid, "session-key:1:x"},
		"as from Seal": {nonce, append(bytes.Clone(nonce), sealed...), kid, "session-key:1:x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.OpenWithNonce(c.nonce, c.sealed, c.kid, c.ad); !errors.Is(err, ErrUnseal) {
				t.Fatalf("OpenWithNonce = %v, want ErrUnseal", err)
			}
		})
	}
}
