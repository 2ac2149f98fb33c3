package wechat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Verdicts of msg_sec_check v2.
const (
	SuggestPass   = "pass"
	SuggestReview = "review"
	SuggestRisky  = "risky"
)

// Scenes of msg_sec_check v2; a nickname is profile data.
const SceneProfile = 1

// SecCheck is the verdict of a content check: what to do (Suggest), why
// (Label, WeChat's number) and the request id to quote to WeChat.
type SecCheck struct {
	Suggest string
	Label   string
	TraceID string
}

type secCheckRequest struct {
	Version int    `json:"version"`
	OpenID  string `json:"openid"`
	Scene   int    `json:"scene"`
	Content string `json:"content"`
}

type secCheckReply struct {
	TraceID string `json:"trace_id"`
	Result  *struct {
		Suggest string      `json:"suggest"`
		Label   looseString `json:"label"` // documented as a string, sent as a number
	} `json:"result"`
}

// MsgSecCheck runs WeChat's text content check, version 2, on content
// written by the user openid (POST wxa/msg_sec_check; the access token goes
// in the query, never the body). WeChat answers errcode 0 for risky text
// too: the verdict is in Suggest.
func (c *Client) MsgSecCheck(ctx context.Context, accessToken, openid string, scene int, content string) (SecCheck, error) {
	const api = APIMsgSecCheck
	body, err := json.Marshal(secCheckRequest{Version: 2, OpenID: openid, Scene: scene, Content: content})
	if err != nil {
		return SecCheck{}, unavailable(api, "invalid request")
	}
	cl := call{api: api, method: http.MethodPost, body: body,
		url: c.baseURL + "/wxa/msg_sec_check?" + url.Values{"access_token": {accessToken}}.Encode()}
	var r secCheckReply
	if err := c.do(ctx, cl, &r); err != nil {
		return SecCheck{}, err
	}
	if r.Result == nil {
		return SecCheck{}, unavailable(api, "reply lacks result")
	}
	switch r.Result.Suggest {
	case SuggestPass, SuggestReview, SuggestRisky:
	default:
		return SecCheck{}, unavailable(api, "reply has an unknown suggest")
	}
	return SecCheck{Suggest: r.Result.Suggest, Label: string(r.Result.Label), TraceID: r.TraceID}, nil
}
