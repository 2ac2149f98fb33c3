package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
)

// OpenData is what wx.getUserInfo (or the old getPhoneNumber button) hands
// the mini-program: rawData and its signature, and the encrypted form.
type OpenData struct {
	RawData       string `json:"rawData,omitempty"`
	Signature     string `json:"signature,omitempty"`
	EncryptedData string `json:"encryptedData"`
	IV            string `json:"iv"`
}

// ErrNoSession: the user has no session_key in the app (never logged in,
// or it expired).
var ErrNoSession = errors.New("wechattest: no session_key for this user")

// What wx.getUserInfo and wx.getUserProfile answer for every user since
// WeChat withdrew real profiles: the nickname "微信用户" and a grey default
// avatar, marked is_demote.
const (
	AnonymousNickname  = "微信用户"
	AnonymousAvatarURL = "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132"
)

// UserInfo plays wx.getUserInfo for user in appid, signed and encrypted
// with the user's current session_key. As on WeChat today, the profile in
// it is anonymous, in rawData and encryptedData alike, whatever SetPerson
// said (web OAuth's sns/userinfo still reports that); openId and unionId
// are real.
func (s *Server) UserInfo(appid, user string) (OpenData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.sessionKeys[appUser{appid, user}]
	if key == "" {
		return OpenData{}, ErrNoSession
	}
	profile := userInfo{NickName: AnonymousNickname, AvatarURL: AnonymousAvatarURL, IsDemote: true}
	raw, _ := json.Marshal(profile)
	full := profile
	full.OpenID = s.OpenID(appid, user)
	if a := s.apps[appid]; a.openPlatform != "" {
		full.UnionID = s.UnionID(a.openPlatform, user)
	}
	full.Watermark = &watermark{Timestamp: s.now().Unix(), AppID: appid}
	plain, _ := json.Marshal(full)
	sum := sha1.Sum(append(raw, key...))
	d := Encrypt(key, plain)
	d.RawData, d.Signature = string(raw), hex.EncodeToString(sum[:])
	return d, nil
}

// userInfo is wx.getUserInfo's data in the order WeChat writes it: the
// encrypted form opens with openId, so its first AES block (which IV bits
// rewrite at will) holds the start of the openid.
type userInfo struct {
	OpenID    string     `json:"openId,omitempty"`
	NickName  string     `json:"nickName"`
	Gender    int        `json:"gender"`
	Language  string     `json:"language"`
	City      string     `json:"city"`
	Province  string     `json:"province"`
	Country   string     `json:"country"`
	AvatarURL string     `json:"avatarUrl"`
	IsDemote  bool       `json:"is_demote"`
	UnionID   string     `json:"unionId,omitempty"`
	Watermark *watermark `json:"watermark,omitempty"`
}

type watermark struct {
	Timestamp int64  `json:"timestamp"`
	AppID     string `json:"appid"`
}

// PhoneData plays the old-style getPhoneNumber button: the user's phone
// number encrypted with the current session_key.
func (s *Server) PhoneData(appid, user string) (OpenData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.sessionKeys[appUser{appid, user}]
	if key == "" {
		return OpenData{}, ErrNoSession
	}
	p := s.personLocked(user)
	plain, _ := json.Marshal(map[string]any{"phoneNumber": p.phone, "purePhoneNumber": p.phone,
		"countryCode": p.countryCode, "watermark": map[string]any{"appid": appid, "timestamp": s.now().Unix()}})
	return Encrypt(key, plain), nil
}

// Encrypt encrypts plain as WeChat encrypts open data: AES-128-CBC under
// the Base64-decoded session_key, PKCS#7 padding, a random IV. It is
// written apart from the client's decryption so that each checks the other.
func Encrypt(sessionKey string, plain []byte) OpenData {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		panic("wechattest: a session_key is Base64 of 16 bytes")
	}
	iv := make([]byte, aes.BlockSize)
	rand.Read(iv)
	return EncryptWithIV(key, iv, plain)
}

// EncryptWithIV is Encrypt with a given raw key and IV, for fixed vectors.
func EncryptWithIV(key, iv, plain []byte) OpenData {
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("wechattest: " + err.Error())
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return OpenData{EncryptedData: base64.StdEncoding.EncodeToString(out), IV: base64.StdEncoding.EncodeToString(iv)}
}
