package wechat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Phone is the number a user shared with the getPhoneNumber button.
type Phone struct {
	PhoneNumber     string // with the area code for numbers outside mainland China
	PurePhoneNumber string // without the area code
	CountryCode     string // e.g. "86"
	Watermark       Watermark
}

// Watermark tells which app data was made for, and when.
type Watermark struct {
	AppID     string `json:"appid"`
	Timestamp int64  `json:"timestamp"`
}

// looseString accepts a JSON string or number: WeChat documents
// countryCode as a string and shows it as a number in its example (docs/wechat.md, phone numbers).
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = looseString(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = looseString(n.String())
	return nil
}

type phoneReply struct {
	PhoneInfo *struct {
		PhoneNumber     string      `json:"phoneNumber"`
		PurePhoneNumber string      `json:"purePhoneNumber"`
		CountryCode     looseString `json:"countryCode"`
		Watermark       Watermark   `json:"watermark"`
	} `json:"phone_info"`
}

// GetUserPhoneNumber exchanges a getPhoneNumber button's code for the
// user's phone number (POST wxa/business/getuserphonenumber). openid, when
// given, makes WeChat check that the code belongs to that user. The code is
// single use, so an errcode -1 is not retried.
func (c *Client) GetUserPhoneNumber(ctx context.Context, accessToken, code, openid string) (Phone, error) {
	const api = APIPhoneNumber
	body, _ := json.Marshal(struct {
		Code   string `json:"code"`
		OpenID string `json:"openid,omitempty"`
	}{code, openid})
	cl := call{api: api, method: http.MethodPost, once: true, body: body,
		url: c.baseURL + "/wxa/business/getuserphonenumber?" + url.Values{"access_token": {accessToken}}.Encode()}
	var r phoneReply
	if err := c.do(ctx, cl, &r); err != nil {
		return Phone{}, err
	}
	if r.PhoneInfo == nil || r.PhoneInfo.PurePhoneNumber == "" {
		return Phone{}, unavailable(api, "reply lacks phone_info")
	}
	p := r.PhoneInfo
	cc := strings.TrimPrefix(string(p.CountryCode), "+")
	if _, err := strconv.Atoi(cc); err != nil {
		return Phone{}, unavailable(api, "reply has a malformed countryCode")
	}
	return Phone{PhoneNumber: p.PhoneNumber, PurePhoneNumber: p.PurePhoneNumber, CountryCode: cc, Watermark: p.Watermark}, nil
}
