// Package keyring seals secrets at rest (AppSecrets, JWT private keys,
// session_keys) with AES-256-GCM under the master keys, each sealed value
// carrying the id of the key that sealed it so that the master key can rotate.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrUnseal is returned when a sealed value cannot be opened: wrong key,
// wrong associated data, or tampered bytes. It never says which.
var ErrUnseal = errors.New("keyring: cannot unseal value")

// Ring seals secrets at rest with AES-256-GCM. The current key seals;
// every key in the ring opens, so that the master key can rotate.
type Ring struct {
	current string
	aeads   map[string]cipher.AEAD
	derive  []byte // the current key, for DeriveKey only
}

// New builds a ring from base64 master keys of 32 bytes each. The
// first is the current key; the rest are older keys kept only for opening.
func New(current string, old ...string) (*Ring, error) {
	k := &Ring{aeads: make(map[string]cipher.AEAD)}
	for i, enc := range append([]string{current}, old...) {
		enc = strings.TrimSpace(enc)
		if enc == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			return nil, errors.New("keyring: a master key must be 32 bytes, base64 encoded")
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		id := KeyID(raw)
		k.aeads[id] = aead
		if i == 0 {
			k.current = id
			k.derive = raw
		}
	}
	if k.current == "" {
		return nil, errors.New("keyring: no master key given")
	}
	return k, nil
}

// KeyID names a master key without revealing it: the first 8 hex digits of
// the SHA-256 of a domain-separated copy of the key.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("miniauth key id\x00"), raw...))
	return hex.EncodeToString(sum[:4])
}

// DeriveKey returns a 32-byte key for one use (label, e.g. "sms-code"),
// derived from the current master key with HMAC-SHA256, for keyed hashes
// that are never opened (SMS codes): the master key itself never keys two
// algorithms. After a rotation the derived key changes too, so what was
// hashed under the old one (codes that live minutes) no longer matches.
func (k *Ring) DeriveKey(label string) []byte {
	m := hmac.New(sha256.New, k.derive)
	m.Write([]byte("miniauth derived key\x00" + label))
	return m.Sum(nil)
}

// CurrentKeyID is the id of the key that seals new values.
func (k *Ring) CurrentKeyID() string { return k.current }

// Seal encrypts plaintext under the current key with a fresh random nonce;
// ad binds the value to its owner (e.g. "app-secret:<tenant>:<appid>") so a
// sealed value copied to another row does not open. The result is
// nonce||ciphertext and the id of the key that sealed it.
func (k *Ring) Seal(plaintext []byte, ad string) (sealed []byte, keyID string) {
	aead := k.aeads[k.current]
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("keyring: crypto/rand failed: " + err.Error())
	}
	return aead.Seal(out, out, plaintext, []byte(ad)), k.current
}

// SealWithNonce encrypts plaintext under the current key with the nonce
// given (NonceSize bytes), and returns the ciphertext alone: for values
// whose owner already carries a unique nonce (a session's id), so that the
// 12 bytes are not stored twice. The caller must never seal two values
// with the same nonce: a nonce used twice under one key gives both away.
func (k *Ring) SealWithNonce(nonce, plaintext []byte, ad string) (sealed []byte, keyID string) {
	return k.aeads[k.current].Seal(nil, nonce, plaintext, []byte(ad)), k.current
}

// OpenWithNonce decrypts a value sealed by SealWithNonce.
func (k *Ring) OpenWithNonce(nonce, sealed []byte, keyID, ad string) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok || len(nonce) != aead.NonceSize() || len(sealed) < aead.Overhead() {
		return nil, ErrUnseal
	}
	plain, err := aead.Open(nil, nonce, sealed, []byte(ad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// NonceSize is the nonce length SealWithNonce takes.
const NonceSize = 12

// Open decrypts a value sealed by Seal under the key keyID with the same ad.
func (k *Ring) Open(sealed []byte, keyID, ad string) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok || len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrUnseal
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
