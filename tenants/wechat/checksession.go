package wechat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
)

// SessionSignature is WeChat's "user login state signature" of payload:
// hex(HMAC-SHA256(key = session_key, payload)). The key is the Base64 text
// of session_key as bytes, not the 16 bytes it decodes to (checked
// against WeChat's published example).
func SessionSignature(sessionKey, payload string) string {
	m := hmac.New(sha256.New, []byte(sessionKey))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckSession asks WeChat whether sessionKey is still the user's current
// session_key (GET wxa/checksession). A stale or expired key is
// (false, nil): WeChat answers 87009 "invalid signature".
func (c *Client) CheckSession(ctx context.Context, accessToken, openid, sessionKey string) (bool, error) {
	const api = APICheckSession
	q := url.Values{
		"access_token": {accessToken},
		"openid":       {openid},
		"signature":    {SessionSignature(sessionKey, "")},
		"sig_method":   {"hmac_sha256"},
	}
	cl := call{api: api, method: http.MethodGet, url: c.baseURL + "/wxa/checksession?" + q.Encode()}
	var r struct{}
	err := c.do(ctx, cl, &r)
	switch {
	case err == nil:
		return true, nil
	case IsCode(err, 87009):
		return false, nil
	}
	return false, err
}
