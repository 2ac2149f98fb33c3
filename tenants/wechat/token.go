package wechat

import (
	"context"
	"encoding/json"
	"net/http"
)

// AccessToken is an app's access_token and its remaining lifetime in seconds.
type AccessToken struct {
	Token     string
	ExpiresIn int
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

type tokenReply struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// StableToken fetches the app's stable access_token (POST
// cgi-bin/stable_token). Without forceRefresh every caller gets the same
// token while it is valid, so several servers need no shared cache; use
// forceRefresh only when the token has leaked.
func (c *Client) StableToken(ctx context.Context, appid, secret string, forceRefresh bool) (AccessToken, error) {
	const api = APIStableToken
	body, err := json.Marshal(stableTokenRequest{
		GrantType:    "client_credential",
		AppID:        appid,
		Secret:       secret,
		ForceRefresh: forceRefresh,
	})
	if err != nil {
		return AccessToken{}, ForApp(appid, unavailable(api, "invalid request"))
	}
	cl := call{api: api, appid: appid, method: http.MethodPost, url: c.baseURL + "/cgi-bin/stable_token", body: body}
	var r tokenReply
	if err := c.do(ctx, cl, &r); err != nil {
		return AccessToken{}, err
	}
	if r.AccessToken == "" || r.ExpiresIn <= 0 {
		return AccessToken{}, ForApp(appid, unavailable(api, "reply lacks access_token or expires_in"))
	}
	return AccessToken{Token: r.AccessToken, ExpiresIn: r.ExpiresIn}, nil
}
