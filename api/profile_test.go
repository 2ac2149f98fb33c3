package api_test

import (
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat/wechattest"
)

// TestUpdateMeRules: PATCH /me takes https avatars (or the product's own),
// refuses WeChat's temporary paths, names unknown fields, and refuses
// nicknames that hide control or bidi characters (wechat-open-api §5.1:
// the server enforces its own character rules). Bad input changes nothing.
func TestUpdateMeRules(t *testing.T) {
	e := newEnv(t)
	token := e.login("alice")
	own := e.base + "/t/acme/avatars/av_x"
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"小明","avatar_url":"https://cdn.acme.example/a.png"}`, bearer(token)...); r.Status != 200 {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	scenarios := []struct {
		name   string
		body   string
		status int
		code   string
		msg    string // in the error message
		avatar string // in MySQL afterwards
	}{
		{"WeChat's temporary path", `{"avatar_url":"http://tmp/abc.jpg"}`, 400, "invalid_request", "https", "https://cdn.acme.example/a.png"},
		{"wxfile path", `{"avatar_url":"wxfile://tmp_abc.jpg"}`, 400, "invalid_request", "https", "https://cdn.acme.example/a.png"},
		{"plain http elsewhere", `{"avatar_url":"http://cdn.acme.example/a.png"}`, 400, "invalid_request", "https", "https://cdn.acme.example/a.png"},
		{"own avatar URL (http on a development PUBLIC_URL)", `{"avatar_url":"` + own + `"}`, 200, "", "", own},
		{"another tenant's avatar URL is not ours", `{"avatar_url":"` + e.base + `/t/globex/avatars/av_x"}`, 400, "invalid_request", "https", own},
		{"unknown fields are named", `{"nickname":"小红","avatarUrl":"https://x/y.png","phone":"1"}`, 400, "invalid_request", `unknown field "avatarUrl", "phone"`, own},
		{"NUL in a nickname", `{"nickname":"小\u0000明"}`, 400, "invalid_request", "control", own},
		{"escape in a nickname", `{"nickname":"\u001b[31m红"}`, 400, "invalid_request", "control", own},
		{"C1 control in a nickname", `{"nickname":"a\u0085b"}`, 400, "invalid_request", "control", own},
		{"right-to-left override", `{"nickname":"admin\u202egnp.exe"}`, 400, "invalid_request", "bidi", own},
		{"left-to-right embedding", `{"nickname":"\u202ax"}`, 400, "invalid_request", "bidi", own},
		{"first strong isolate", `{"nickname":"x\u2068y"}`, 400, "invalid_request", "bidi", own},
		{"pop directional isolate", `{"nickname":"x\u2069"}`, 400, "invalid_request", "bidi", own},
		{"ordinary emoji and CJK pass", `{"nickname":"小明🐱 Ming"}`, 200, "", "", own},
		{"clear the avatar", `{"avatar_url":""}`, 200, "", "", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			var nickBefore string
			e.db.Get(&nickBefore, "SELECT nickname FROM users")
			r := e.do("PATCH", "/t/acme/me", sc.body, bearer(token)...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			env, _ := r.Body["error"].(map[string]any)
			if msg, _ := env["message"].(string); sc.msg != "" && !strings.Contains(msg, sc.msg) {
				t.Errorf("message does not say %q: %s", sc.msg, r.Raw)
			}
			var avatar, nick string
			e.db.Get(&avatar, "SELECT avatar_url FROM users")
			e.db.Get(&nick, "SELECT nickname FROM users")
			if avatar != sc.avatar || (sc.status != 200 && nick != nickBefore) {
				t.Fatalf("avatar %q nickname %q after, want avatar %q (nickname %q kept on refusal)", avatar, nick, sc.avatar, nickBefore)
			}
		})
	}
}

// TestNicknameCharactersEverywhere: register and import apply the nickname
// rule too, and register the content check.
func TestNicknameCharactersEverywhere(t *testing.T) {
	a := newAdminEnv(t)
	r := a.as(a.callers[own], "POST", "/admin/api/tenants/acme/users/import", `[{"phone":"13800000001","name":"x\u202ey"}]`)
	if r.Status != 400 || !strings.Contains(r.Raw, "bidi") || a.count("SELECT COUNT(*) FROM users") != 0 {
		t.Fatalf("import: %d %s", r.Status, r.Raw)
	}
	if r := a.as(a.callers[own], "PATCH", "/admin/api/tenants/acme", `{"settings":{"registration":"signup"}}`); r.Status != 200 {
		t.Fatalf("policy: %d %s", r.Status, r.Raw)
	}
	a.reg.Invalidate(t.Context(), "acme")
	login := a.do("POST", "/t/acme/login", `{"code":"`+a.code("newcomer")+`"}`)
	ticket, _ := login.Body["signup_ticket"].(string)
	if ticket == "" {
		t.Fatalf("no ticket: %s", login.Raw)
	}
	for _, body := range []string{
		`{"signup_ticket":"` + ticket + `","nickname":"a\u0000b"}`,
		`{"signup_ticket":"` + ticket + `","nickname":"a\u2066b"}`,
		`{"signup_ticket":"` + ticket + `","avatar_url":"http://tmp/x.png"}`,
	} {
		if r := a.do("POST", "/t/acme/register", body); r.Status != 400 || r.errCode() != "invalid_request" {
			t.Fatalf("register %s: %d %s", body, r.Status, r.Raw)
		}
	}
	a.wx.SetContentRule("坏词", "risky", 20006) // the content check runs at sign-up too
	if r := a.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","nickname":"坏词"}`); r.Status != 422 || r.errCode() != "nickname_rejected" {
		t.Fatalf("register with a risky nickname: %d %s", r.Status, r.Raw)
	}
	if a.count("SELECT COUNT(*) FROM users") != 0 {
		t.Fatal("a refused sign-up wrote a user")
	}
	if r := a.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`","nickname":"新人"}`); r.Status != 200 {
		t.Fatalf("the ticket should still work: %d %s", r.Status, r.Raw)
	}
}

// TestNicknameCheck: with nickname_check on (new tenants), a changed
// nickname goes through msg_sec_check v2 (wechat-open-api §4): risky is 422
// and changes nothing, review passes and is audited, and when the check
// cannot run the tenant's fail-open choice decides.
func TestNicknameCheck(t *testing.T) {
	a := newAdminEnv(t)
	e := a.env
	e.wx.SetContentRule("坏词", "risky", 20006)
	e.wx.SetContentRule("可疑", "review", 20012)
	token := e.login("alice")
	settings := func(body string) {
		t.Helper()
		if r := a.as(a.callers[own], "PATCH", "/admin/api/tenants/acme", `{"settings":`+body+`}`); r.Status != 200 {
			t.Fatalf("settings: %d %s", r.Status, r.Raw)
		}
	}
	if r := a.as(a.callers[own], "GET", "/admin/api/tenants/acme", ""); r.obj("tenant", "settings")["nickname_check"] != true ||
		r.obj("tenant", "settings")["nickname_check_fail_open"] != true {
		t.Fatalf("a new tenant should check nicknames, failing open: %s", r.Raw)
	}
	scenarios := []struct {
		name     string
		before   func()
		nickname string
		status   int
		code     string
		stored   string // nickname in MySQL afterwards
		checks   int    // msg_sec_check calls the request makes
		audited  int    // user.nickname_review entries afterwards
	}{
		{name: "pass", nickname: "小明", status: 200, stored: "小明", checks: 1},
		{name: "unchanged nickname is not checked again", nickname: "小明", status: 200, stored: "小明", checks: 0},
		{name: "risky (§4.2 errcode 0, result.suggest risky)", nickname: "我是坏词", status: 422, code: "nickname_rejected", stored: "小明", checks: 1},
		{name: "review is accepted and audited", nickname: "有点可疑", status: 200, stored: "有点可疑", checks: 1, audited: 1},
		{name: "WeChat busy (-1 twice), fail open", before: func() { e.wx.SetFaults(wechattest.Faults{SystemErrors: 2}) },
			nickname: "小红", status: 200, stored: "小红", checks: 2, audited: 1},
		{name: "WeChat busy, fail closed", before: func() {
			settings(`{"nickname_check_fail_open":false}`)
			e.wx.SetFaults(wechattest.Faults{SystemErrors: 2})
		}, nickname: "小刚", status: 502, code: "wechat_unavailable", stored: "小红", checks: 2, audited: 1},
		// Three hours on, the cached access token has expired too: the token
		// cache (on the same clock) renews it before the check, which then
		// answers 61010.
		{name: "visit older than 2 hours (61010), fail closed", before: func() { e.clock.Add(3 * time.Hour) },
			nickname: "小刚", status: 502, code: "wechat_unavailable", stored: "小红", checks: 1, audited: 1},
		{name: "check off: risky words pass untouched", before: func() { settings(`{"nickname_check":false}`) },
			nickname: "坏词", status: 200, stored: "坏词", checks: 0, audited: 1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t, a.t = t, t
			if sc.before != nil {
				sc.before()
			}
			calls := e.wx.Calls("msg_sec_check")
			r := e.do("PATCH", "/t/acme/me", `{"nickname":"`+sc.nickname+`"}`, bearer(token)...)
			e.wx.SetFaults(wechattest.Faults{})
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			var nick string
			e.db.Get(&nick, "SELECT nickname FROM users")
			if nick != sc.stored {
				t.Errorf("nickname %q, want %q", nick, sc.stored)
			}
			if got := e.wx.Calls("msg_sec_check") - calls; got != sc.checks {
				t.Errorf("%d msg_sec_check calls, want %d", got, sc.checks)
			}
			if got := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.nickname_review'"); got != sc.audited {
				t.Errorf("%d review audit entries, want %d", got, sc.audited)
			}
		})
	}
	e.t = t
	if !strings.Contains(e.logs.String(), "nickname check did not run") {
		t.Error("a check that did not run was not logged")
	}
}

// TestNicknameCheckStoredSettings: settings stored before the switch
// existed lack it, and such tenants keep their old behaviour (no check).
func TestNicknameCheckStoredSettings(t *testing.T) {
	e := newEnv(t)
	e.wx.SetContentRule("坏词", "risky", 20006)
	e.db.MustExec(`UPDATE tenants SET settings = '{}' WHERE id = ?`, e.tenant.ID)
	e.reg.Invalidate(t.Context(), "acme")
	token := e.login("alice")
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"坏词"}`, bearer(token)...); r.Status != 200 || e.wx.Calls("msg_sec_check") != 0 {
		t.Fatalf("old settings: %d %s, %d checks", r.Status, r.Raw, e.wx.Calls("msg_sec_check"))
	}
}
