package wechat

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// OAuth scopes. Official accounts' web OAuth takes ScopeBase or
// ScopeUserInfo; an Open Platform mobile application's SendAuth asks for
// ScopeUserInfo only; a website application's QR login for ScopeLogin only
// (wechat-open-api.md §1.2, §2.1).
const (
	ScopeBase     = "snsapi_base"     // silent; openid only
	ScopeUserInfo = "snsapi_userinfo" // consent page; nickname, avatar, unionid
	ScopeLogin    = "snsapi_login"    // website QR login; openid, unionid, and sns/userinfo
)

// DefaultAuthorizeURL is where browsers are sent to authorize an official
// account's web OAuth, and a website application's QR login.
const DefaultAuthorizeURL = "https://open.weixin.qq.com"

// AuthorizeURL is the address of WeChat's authorize page (docs/wechat.md,
// web OAuth), #wechat_redirect included. base is DefaultAuthorizeURL or a simulator's.
func AuthorizeURL(base, appid, redirectURI, scope, state string) string {
	return connectURL(base, "/connect/oauth2/authorize", appid, redirectURI, scope, state)
}

// QRConnectURL is the address of the QR login page of a website
// application (wechat-open-api.md §2.1), fragment included: the user scans
// it with WeChat and the browser comes back to redirectURI with ?code and
// ?state, or with no code when the user refused. base is
// DefaultAuthorizeURL or a simulator's. The code goes to OAuthAccessToken
// with the website application's AppID and AppSecret.
func QRConnectURL(base, appid, redirectURI, state string) string {
	return connectURL(base, "/connect/qrconnect", appid, redirectURI, ScopeLogin, state)
}

func connectURL(base, path, appid, redirectURI, scope, state string) string {
	// WeChat wants its parameters in this order; url.Values would sort them.
	return strings.TrimRight(base, "/") + path + "?appid=" + url.QueryEscape(appid) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=" + url.QueryEscape(scope) +
		"&state=" + url.QueryEscape(state) + "#wechat_redirect"
}

// OAuthToken is the reply of sns/oauth2/access_token. AccessToken and
// RefreshToken are secrets. UnionID is there when the app is bound to an
// open platform account (for official accounts, with ScopeUserInfo only);
// the same user has the same UnionID in every app of that account, and a
// different OpenID in each (wechat-api.md §7).
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

// OAuthAccessToken exchanges an OAuth code (GET sns/oauth2/access_token)
// with the AppID and AppSecret of the app it was issued for: an official
// account's web OAuth code (wechat-api.md §6.2), an Open Platform mobile
// application's SendAuth code (wechat-open-api.md §1.3) or a website
// application's qrconnect code (§2.3). Refusals are *APIError: 40029 an
// unknown or expired code, or one issued for another app; 40163 a used
// one; 41008 none; 40013 an unknown AppID; 40125 a wrong AppSecret; 40164
// a server address off the app's IP whitelist. The code is single use:
// after errcode -1 WeChat answers 40163 to a retry, so there is none.
func (c *Client) OAuthAccessToken(ctx context.Context, appid, secret, code string) (OAuthToken, error) {
	const api = APIOAuthToken
	q := url.Values{"appid": {appid}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}}
	cl := call{api: api, appid: appid, method: http.MethodGet, once: true, url: c.baseURL + "/sns/oauth2/access_token?" + q.Encode()}
	var r OAuthToken
	if err := c.do(ctx, cl, &r); err != nil {
		return OAuthToken{}, err
	}
	// A snapshot-page user comes with empty tokens (docs/wechat.md, snapshot users).
	if (r.AccessToken == "" && r.Snapshot != 1) || r.OpenID == "" {
		return OAuthToken{}, ForApp(appid, unavailable(api, "reply lacks access_token or openid"))
	}
	return r, nil
}

// OAuthUser is what sns/userinfo tells about a user (scopes snsapi_userinfo
// and snsapi_login). WeChat no longer reports sex or region (since
// 2021-10-20), so they are not kept. HeadImgURL may be empty and stops
// working once the user changes avatar; Nickname may be WeChat's
// anonymous placeholder. Neither may overwrite a profile the user set
// (DESIGN.md §11).
type OAuthUser struct {
	OpenID     string `json:"openid"`
	Nickname   string `json:"nickname"`
	HeadImgURL string `json:"headimgurl"`
	UnionID    string `json:"unionid"`
}

// OAuthUserInfo fetches the profile of the user an OAuthToken was issued
// for (GET sns/userinfo, wechat-api.md §6.4, wechat-open-api.md §1.5).
// Refusals are *APIError: 48001 a token of snsapi_base; 40001/40014 an
// unknown token; 42001 an expired one; 40003 an openid the token is not
// for.
func (c *Client) OAuthUserInfo(ctx context.Context, accessToken, openid string) (OAuthUser, error) {
	const api = APIUserInfo
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
