package wechat_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"testing"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

// A vector made with the openssl command line, independently of Go:
//
//	printf '%s' "$plain" | openssl enc -aes-128-cbc -K 000102…0f -iv f0e0d0…00 | base64
const (
	vectorKey    = "AAECAwQFBgcICQoLDA0ODw==" // 00 01 … 0f
	vectorIV     = "8ODQwLCgkIBwYFBAMCAQAA==" // f0 e0 … 00
	vectorAppID  = "wxvector00000001"
	vectorCipher = "cuMGJGbSOazohpT0a7eFVOaNbxgosKwkCNshreKeCH3AvbqHmTbJ/BAw7qHD0Rz5E3wlqmN0tMGxcAI9JXVASdvyCpLp8VWr0JwThLWKVkH/gsjgXebIwxI9bocYxDNGcjWgXWLlCW8Q79PgR2MdCQ=="
)

// The official sample data of WeChat's open-data documentation (the demo
// that comes with it decrypts it to the user "Band"), checked with openssl.
const (
	officialAppID = "wx4f4bc4dec97d474b"
	officialKey   = "tiihtNczf5v6AKRyjwEUhQ=="
	officialIV    = "r7BXXKkLb8qrSNn05n0qiA=="
	officialData  = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+" +
		"3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6" +
		"/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs" +
		"8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns" +
		"/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG" +
		"20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)

func TestDecryptOfficialSample(t *testing.T) {
	data, err := wechat.DecryptData(officialKey, officialData, officialIV, officialAppID)
	if err != nil {
		t.Fatal(err)
	}
	wm := data["watermark"].(map[string]any)
	if data["openId"] != "oGZUI0egBJY1zhBYw2KhdUfwVJJE" || data["unionId"] != "ocMvos6NjeKLIBqg5Mr9QjxrP1FA" ||
		data["nickName"] != "Band" || wm["timestamp"] != float64(1477314187) {
		t.Fatalf("decrypted %v", data)
	}
	if _, err := wechat.DecryptData(officialKey, officialData, officialIV, "wx0000000000000000"); !errors.Is(err, wechat.ErrWatermark) {
		t.Fatalf("another appid: %v", err)
	}
}

// encryptRaw encrypts already padded (or deliberately mis-padded) blocks.
func encryptRaw(t *testing.T, key string, padded []byte) string {
	t.Helper()
	k, _ := base64.StdEncoding.DecodeString(key)
	iv, _ := base64.StdEncoding.DecodeString(vectorIV)
	block, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return base64.StdEncoding.EncodeToString(out)
}

func TestDecryptData(t *testing.T) {
	raw, _ := base64.StdEncoding.DecodeString(vectorCipher)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-1] ^= 0x5a
	json16 := []byte(`{"watermark":{}}`) // 16 bytes
	tests := []struct {
		name                string
		key, data, iv, want string // want: "" for ErrMalformed/ErrDecrypt/ErrWatermark cases
		appid               string
		err                 error
	}{
		{name: "openssl vector", key: vectorKey, data: vectorCipher, iv: vectorIV, appid: vectorAppID, want: "oVECTOR"},
		{name: "watermark of another app", key: vectorKey, data: vectorCipher, iv: vectorIV, appid: "wxsomeoneelse001", err: wechat.ErrWatermark},
		{name: "IV of 15 bytes", key: vectorKey, data: vectorCipher, iv: base64.StdEncoding.EncodeToString(make([]byte, 15)), appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "IV of 17 bytes", key: vectorKey, data: vectorCipher, iv: base64.StdEncoding.EncodeToString(make([]byte, 17)), appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "IV not Base64", key: vectorKey, data: vectorCipher, iv: "%%%%", appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "data not Base64", key: vectorKey, data: "not base64!", iv: vectorIV, appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "data not whole blocks", key: vectorKey, data: base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), iv: vectorIV, appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "empty data", key: vectorKey, data: "", iv: vectorIV, appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "session_key of 15 bytes", key: base64.StdEncoding.EncodeToString(make([]byte, 15)), data: vectorCipher, iv: vectorIV, appid: vectorAppID, err: wechat.ErrMalformed},
		{name: "last block tampered", key: vectorKey, data: base64.StdEncoding.EncodeToString(flipped), iv: vectorIV, appid: vectorAppID, err: wechat.ErrDecrypt},
		{name: "another session_key", key: "ZmZmZmZmZmZmZmZmZmZmZg==", data: vectorCipher, iv: vectorIV, appid: vectorAppID, err: wechat.ErrDecrypt},
		{name: "pad bytes disagree", key: vectorKey, appid: vectorAppID, iv: vectorIV, err: wechat.ErrDecrypt,
			data: encryptRaw(t, vectorKey, append(bytes.Clone(json16), append(bytes.Repeat([]byte{16}, 15), 15)...))},
		{name: "pad byte 0", key: vectorKey, appid: vectorAppID, iv: vectorIV, err: wechat.ErrDecrypt,
			data: encryptRaw(t, vectorKey, append(bytes.Clone(json16), make([]byte, 16)...))},
		{name: "pad byte 17", key: vectorKey, appid: vectorAppID, iv: vectorIV, err: wechat.ErrDecrypt,
			data: encryptRaw(t, vectorKey, append(bytes.Clone(json16), bytes.Repeat([]byte{17}, 16)...))},
		{name: "no padding at all", key: vectorKey, appid: vectorAppID, iv: vectorIV, err: wechat.ErrDecrypt,
			data: encryptRaw(t, vectorKey, json16)},
		{name: "padded, but not JSON", key: vectorKey, appid: vectorAppID, iv: vectorIV, err: wechat.ErrDecrypt,
			data: encryptRaw(t, vectorKey, append([]byte("hello, world...."), bytes.Repeat([]byte{16}, 16)...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := wechat.DecryptData(tt.key, tt.data, tt.iv, tt.appid)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || data != nil {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || data["openId"] != tt.want {
				t.Fatalf("got %v, %v", data, err)
			}
		})
	}
}

func TestDecryptWhatTheSimulatorEncrypts(t *testing.T) {
	key := "o0q0otL8aEzpcZL/FT9WsQ=="
	for _, plain := range []string{`{"watermark":{"appid":"wxa"}}`, `{"a":"0123456789abcd","watermark":{"appid":"wxa"}}`} {
		d := wechattest.Encrypt(key, []byte(plain))
		if _, err := wechat.DecryptData(key, d.EncryptedData, d.IV, "wxa"); err != nil {
			t.Fatalf("%s: %v", plain, err)
		}
	}
}

func TestSignatures(t *testing.T) {
	// The official example of the session signature (in WeChat's documentation),
	// also reproduced with openssl dgst -sha256 -hmac.
	if got := wechat.SessionSignature("o0q0otL8aEzpcZL/FT9WsQ==", `{"foo":"bar"}`); got != "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b" {
		t.Errorf("SessionSignature = %s", got)
	}
	// printf '%s' '{"nickName":"vector"}AAECAwQFBgcICQoLDA0ODw==' | openssl sha1
	const raw, sig = `{"nickName":"vector"}`, "1a8800cc7ca46cefb0b5ffed28180fbf06652c1b"
	if got := wechat.RawDataSignature(raw, vectorKey); got != sig {
		t.Errorf("RawDataSignature = %s", got)
	}
	tests := []struct {
		name, raw, sig, key string
		want                bool
	}{
		{"matches", raw, sig, vectorKey, true},
		{"raw data changed", `{"nickName":"vectoR"}`, sig, vectorKey, false},
		{"another session_key", raw, sig, "ZmZmZmZmZmZmZmZmZmZmZg==", false},
		{"upper-case hex", raw, "1A8800CC7CA46CEFB0B5FFED28180FBF06652C1B", vectorKey, false},
		{"empty signature", raw, "", vectorKey, false},
	}
	for _, tt := range tests {
		if got := wechat.VerifyRawData(tt.raw, tt.sig, tt.key); got != tt.want {
			t.Errorf("%s: VerifyRawData = %v", tt.name, got)
		}
	}
}
