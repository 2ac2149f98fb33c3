package wechat_test

import (
	"context"
	"testing"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

// A snapshot-page user's exchange (docs/wechat.md, snapshot users) has empty tokens
// and is_snapshotuser 1; it is a reply, not a malformed one, so the caller
// can refuse the virtual user.
func TestOAuthSnapshotUser(t *testing.T) {
	f := newFake(t, wechattest.Options{})
	f.AddOfficialAccount(oaID, oaSecret, openPlatform, oaDomain)
	f.SetUserFlags("h5-user", wechattest.UserFlags{Snapshot: true})
	q, page := authorize(t, f, oaID, "https://"+oaDomain+"/cb", wechat.ScopeUserInfo, "")
	if page != "" {
		t.Fatalf("authorize page: %s", page)
	}
	tok, err := newClient(f.url).OAuthAccessToken(context.Background(), oaID, oaSecret, q.Get("code"))
	if err != nil || tok.Snapshot != 1 || tok.AccessToken != "" || tok.OpenID == "" || tok.OpenID == f.OpenID(oaID, "h5-user") {
		t.Fatalf("snapshot exchange: %+v, %v", tok, err)
	}
}
