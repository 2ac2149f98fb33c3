package tenants_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"miniauth/tenants"
	"miniauth/tenants/tenantstest"
)

// WeChat's errmsg is often Chinese (the access-token errcodes, for one): it
// is cut at 200 runes, never inside a character.
func TestWeChatErrorsCutByRunes(t *testing.T) {
	rdb, prefix := tenantstest.Redis(t)
	w := tenants.NewWeChatErrors(rdb, prefix)
	ctx := context.Background()
	long := strings.Repeat("此IP调用需要管理员确认", 30) // 360 runes, 3 bytes for most
	if err := w.Record(ctx, 1, tenants.WeChatError{API: "stable_token", Code: 89503, Msg: long}); err != nil {
		t.Fatal(err)
	}
	got, err := w.Recent(ctx, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Recent = %v, %v", got, err)
	}
	if m := got[0].Msg; !utf8.ValidString(m) || utf8.RuneCountInString(m) != 200 || !strings.HasPrefix(long, m) {
		t.Fatalf("kept %d runes (valid UTF-8: %v)", utf8.RuneCountInString(m), utf8.ValidString(m))
	}
}
