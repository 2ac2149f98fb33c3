package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
)

// Errors of open-data decryption (docs/wechat.md, open data).
var (
	// ErrMalformed: the input cannot be WeChat open data at all (not
	// Base64, an IV that is not 16 bytes, a ciphertext that is not whole
	// AES blocks, a session_key that is not 16 bytes).
	ErrMalformed = errors.New("wechat: malformed encrypted data")
	// ErrDecrypt: the blocks do not decrypt to PKCS#7-padded JSON under this
	// session_key: tampered data, or a session_key WeChat has replaced.
	ErrDecrypt = errors.New("wechat: encrypted data does not decrypt")
	// ErrWatermark: the data decrypts but was made for another app.
	ErrWatermark = errors.New("wechat: watermark appid does not match")
)

// DecryptData opens encryptedData with session_key and iv (AES-128-CBC,
// strict PKCS#7), checks that its watermark names appid, and returns the
// JSON object.
func DecryptData(sessionKey, encryptedData, iv, appid string) (map[string]any, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return nil, ErrMalformed
	}
	ivb, err := base64.StdEncoding.DecodeString(iv)
	if err != nil || len(ivb) != aes.BlockSize {
		return nil, ErrMalformed
	}
	ct, err := base64.StdEncoding.DecodeString(encryptedData)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrMalformed
	}
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, ivb).CryptBlocks(plain, ct)
	plain, ok := unpad(plain)
	if !ok {
		return nil, ErrDecrypt
	}
	var data map[string]any
	if err := json.Unmarshal(plain, &data); err != nil || data == nil {
		return nil, ErrDecrypt
	}
	wm, _ := data["watermark"].(map[string]any)
	if got, _ := wm["appid"].(string); got != appid {
		return nil, ErrWatermark
	}
	return data, nil
}

// unpad strips PKCS#7 padding, checking every pad byte.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// RawDataSignature is the signature WeChat gives with rawData:
// hex(SHA-1(rawData + session_key)).
func RawDataSignature(rawData, sessionKey string) string {
	sum := sha1.Sum([]byte(rawData + sessionKey))
	return hex.EncodeToString(sum[:])
}

// VerifyRawData reports, in constant time, whether signature signs rawData
// under session_key.
func VerifyRawData(rawData, signature, sessionKey string) bool {
	want := RawDataSignature(rawData, sessionKey)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}
