package wechat

import (
	"context"
	"net/http"
	"net/url"
)

// Web OAuth scopes of official accounts.
const (
	ScopeBase     = "snsapi_base"     // silent; openid only
	ScopeUserInfo = "snsapi_userinfo" // consent page; nickname, avatar, unionid
)

// DefaultAuthorizeURL is where browsers are sent to authorize an official
// account's web OAuth.
const DefaultAuthorizeURL = "https://open.weixin.qq.com"

// AuthorizeURL is the address of WeChat's authorize page (docs/wechat.md,
// web OAuth), #wechat_redirect included. base is DefaultAuthorizeURL or a simulator's.
func AuthorizeURL(base, appid, redirectURI, scope, state string) string {
	// WeChat wants its parameters in this order; url.Values would sort them.
	return base + "/connect/oauth2/authorize?appid=" + url.QueryEscape(appid) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=" + url.QueryEscape(scope) +
		"&state=" + url.QueryEscape(state) + "#wechat_redirect"
}

// OAuthToken is the reply of sns/oauth2/access_token. AccessToken and
// RefreshToken are secrets.
type OAuthToken struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	Scope        string `json:"scope"`
	UnionID      string `json:"unionid"`
	// Snapshot is 1 for a user of a snapshot page: OpenID and UnionID
	// name a virtual account, and the tokens are empty.
	Snapshot int `json:"is_snapshotuser"`
}

// OAuthAccessToken exchanges a web OAuth code (GET sns/oauth2/access_token).
// The code is single use: after errcode -1 WeChat answers 40163 to a retry,
// so there is none.
func (c *Client) OAuthAccessToken(ctx context.Context, appid, secret, code string) (OAuthToken, error) {
	const api = "oauth2/access_token"
	q := url.Values{"appid": {appid}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}}
	cl := call{api: api, method: http.MethodGet, once: true, url: c.baseURL + "/sns/oauth2/access_token?" + q.Encode()}
	var r OAuthToken
	if err := c.do(ctx, cl, &r); err != nil {
		return OAuthToken{}, err
	}
	// A snapshot-page user comes with empty tokens (docs/wechat.md, snapshot users).
	if (r.AccessToken == "" && r.Snapshot != 1) || r.OpenID == "" {
		return OAuthToken{}, unavailable(api, "reply lacks access_token or openid")
	}
	return r, nil
}

// OAuthUser is what sns/userinfo tells about a user (scope snsapi_userinfo).
type OAuthUser struct {
	OpenID     string `json:"openid"`
	Nickname   string `json:"nickname"`
	HeadImgURL string `json:"headimgurl"`
	UnionID    string `json:"unionid"`
}

// OAuthUserInfo fetches the profile of the user a web OAuth token was
// issued for (GET sns/userinfo).
func (c *Client) OAuthUserInfo(ctx context.Context, accessToken, openid string) (OAuthUser, error) {
	const api = "userinfo"
	q := url.Values{"access_token": {accessToken}, "openid": {openid}, "lang": {"zh_CN"}}
	cl := call{api: api, method: http.MethodGet, url: c.baseURL + "/sns/userinfo?" + q.Encode()}
	var r OAuthUser
	if err := c.do(ctx, cl, &r); err != nil {
		return OAuthUser{}, err
	}
	if r.OpenID == "" {
		return OAuthUser{}, unavailable(api, "reply lacks openid")
	}
	return r, nil
}
