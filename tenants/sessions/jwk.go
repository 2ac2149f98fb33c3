package sessions

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// JWK is a public key in JSON Web Key form (RFC 7517; OKP keys RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKSet is the body of a jwks.json document.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the public halves of keys as a key set.
func JWKS(keys []SigningKey) (JWKSet, error) {
	set := JWKSet{Keys: make([]JWK, 0, len(keys))}
	b64 := base64.RawURLEncoding.EncodeToString
	for i := range keys {
		pub, err := keys[i].Public()
		if err != nil {
			return JWKSet{}, err
		}
		j := JWK{Kid: keys[i].KID, Alg: keys[i].Alg, Use: "sig"}
		switch p := pub.(type) {
		case *ecdsa.PublicKey:
			raw, err := p.Bytes() // 0x04 || X || Y, 32 bytes each on P-256
			if err != nil || len(raw) != 65 {
				return JWKSet{}, fmt.Errorf("sessions: key %s is not a P-256 key", keys[i].KID)
			}
			j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64(raw[1:33]), b64(raw[33:])
		case ed25519.PublicKey:
			j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(p)
		default:
			return JWKSet{}, fmt.Errorf("sessions: key %s has an unexpected type", keys[i].KID)
		}
		set.Keys = append(set.Keys, j)
	}
	return set, nil
}
