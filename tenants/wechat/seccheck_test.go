package wechat_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

func TestMsgSecCheck(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	f.SetContentRule("坏词", "risky", 20006)
	f.SetContentRule("可疑", "review", 20012)
	c := newClient(f.url)
	ctx := context.Background()
	tok, err := c.StableToken(ctx, appID, appSecret, false)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.Code2Session(ctx, appID, appSecret, f.code(t, appID, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, openid, content string
		suggest, label               string
		wantErr                      int
	}{
		{name: "pass", token: tok.Token, openid: sess.OpenID, content: "小明", suggest: "pass", label: "100"},
		{name: "risky is errcode 0 with a verdict", token: tok.Token, openid: sess.OpenID, content: "坏词", suggest: "risky", label: "20006"},
		{name: "review", token: tok.Token, openid: sess.OpenID, content: "可疑", suggest: "review", label: "20012"},
		{name: "bad token", token: "96_x", openid: sess.OpenID, content: "x", wantErr: 40001},
		{name: "unknown openid", token: tok.Token, openid: "oNobody", content: "x", wantErr: 40003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.MsgSecCheck(ctx, tt.token, tt.openid, wechat.SceneProfile, tt.content)
			if tt.wantErr != 0 {
				if !wechat.IsCode(err, tt.wantErr) {
					t.Fatalf("err = %v, want errcode %d", err, tt.wantErr)
				}
				return
			}
			if err != nil || v.Suggest != tt.suggest || v.Label != tt.label || v.TraceID == "" {
				t.Fatalf("%+v, %v", v, err)
			}
		})
	}
}

// TestMsgSecCheckOddReplies: a reply without a verdict is WeChat being
// unavailable, not a pass.
func TestMsgSecCheckOddReplies(t *testing.T) {
	for _, body := range []string{`{"errcode":0,"errmsg":"ok"}`, `{"errcode":0,"result":{"suggest":"maybe","label":1}}`, `<html>`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
		_, err := newClient(srv.URL).MsgSecCheck(context.Background(), "t", "o", wechat.SceneProfile, "x")
		srv.Close()
		if !errors.Is(err, wechat.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", body, err)
		}
	}
}
