package wechat

import (
	"context"
	"net/http"
	"net/url"
)

// Session is what code2Session tells about a user of a mini-program.
// SessionKey is a secret: never log it or send it to a client.
type Session struct {
	OpenID     string
	SessionKey string
	UnionID    string // empty unless the app is bound to an open platform account
}

type sessionReply struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid"`
}

// Code2Session exchanges a wx.login code for the user's openid and
// session_key (GET sns/jscode2session). It retries only after errcode -1;
// after a timeout WeChat may have spent the single-use code, so the caller
// should have the mini-program send a fresh one rather than retry.
func (c *Client) Code2Session(ctx context.Context, appid, secret, code string) (Session, error) {
	const api = APICode2Session
	q := url.Values{
		"appid":      {appid},
		"secret":     {secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	cl := call{api: api, appid: appid, method: http.MethodGet, url: c.baseURL + "/sns/jscode2session?" + q.Encode()}
	var r sessionReply
	if err := c.do(ctx, cl, &r); err != nil {
		return Session{}, err
	}
	if r.OpenID == "" || r.SessionKey == "" {
		return Session{}, ForApp(appid, unavailable(api, "reply lacks openid or session_key"))
	}
	return Session(r), nil
}
