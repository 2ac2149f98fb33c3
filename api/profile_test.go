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
	var nickBefore string
	// after: the avatar in MySQL afterwards, the nickname kept on a refusal,
	// and msg in the error message.
	after := func(msg, avatar string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if msg != "" && !strings.Contains(r.str("error", "message"), msg) {
				t.Errorf("message does not say %q: %s", msg, r.Raw)
			}
			var got, nick string
			e.db.Get(&got, "SELECT avatar_url FROM users")
			e.db.Get(&nick, "SELECT nickname FROM users")
			if got != avatar || (r.Status != 200 && nick != nickBefore) {
				t.Fatalf("avatar %q nickname %q after, want avatar %q (nickname %q kept on refusal)", got, nick, avatar, nickBefore)
			}
		}
	}
	kept := "https://cdn.acme.example/a.png"
	rows := []scenario{
		{name: "set", body: `{"nickname":"小明","avatar_url":"` + kept + `"}`, status: 200, check: after("", kept)},
		{name: "WeChat's temporary path", body: `{"avatar_url":"http://tmp/abc.jpg"}`, status: 400, code: "invalid_request", check: after("https", kept)},
		{name: "wxfile path", body: `{"avatar_url":"wxfile://tmp_abc.jpg"}`, status: 400, code: "invalid_request", check: after("https", kept)},
		{name: "plain http elsewhere", body: `{"avatar_url":"http://cdn.acme.example/a.png"}`, status: 400, code: "invalid_request", check: after("https", kept)},
		{name: "own avatar URL (http on a development PUBLIC_URL)", body: `{"avatar_url":"` + own + `"}`, status: 200, check: after("", own)},
		{name: "another tenant's avatar URL is not ours", body: `{"avatar_url":"` + e.base + `/t/globex/avatars/av_x"}`, status: 400, code: "invalid_request", check: after("https", own)},
		{name: "unknown fields are named", body: `{"nickname":"小红","avatarUrl":"https://x/y.png","phone":"1"}`, status: 400, code: "invalid_request",
			check: after(`unknown field "avatarUrl", "phone"`, own)},
		{name: "NUL in a nickname", body: `{"nickname":"小\u0000明"}`, status: 400, code: "invalid_request", check: after("control", own)},
		{name: "escape in a nickname", body: `{"nickname":"\u001b[31m红"}`, status: 400, code: "invalid_request", check: after("control", own)},
		{name: "C1 control in a nickname", body: `{"nickname":"a\u0085b"}`, status: 400, code: "invalid_request", check: after("control", own)},
		{name: "right-to-left override", body: `{"nickname":"admin\u202egnp.exe"}`, status: 400, code: "invalid_request", check: after("bidi", own)},
		{name: "left-to-right embedding", body: `{"nickname":"\u202ax"}`, status: 400, code: "invalid_request", check: after("bidi", own)},
		{name: "first strong isolate", body: `{"nickname":"x\u2068y"}`, status: 400, code: "invalid_request", check: after("bidi", own)},
		{name: "pop directional isolate", body: `{"nickname":"x\u2069"}`, status: 400, code: "invalid_request", check: after("bidi", own)},
		{name: "ordinary emoji and CJK pass", body: `{"nickname":"小明🐱 Ming"}`, status: 200, check: after("", own)},
		{name: "clear the avatar", body: `{"avatar_url":""}`, status: 200, check: after("", "")},
	}
	for i := range rows {
		rows[i].before = func(e *env) { e.db.Get(&nickBefore, "SELECT nickname FROM users") }
	}
	runScenarios(t, e, scenario{method: "PATCH", path: "/t/acme/me", header: bearer(token)}, rows)
}

// TestNicknameCharactersEverywhere: register and import apply the nickname
// rule too, and register the content check.
func TestNicknameCharactersEverywhere(t *testing.T) {
	a := newAdminEnv(t)
	admin := adminHeader(a.callers[own])
	var ticket string
	register := func(rest string) func(*env) string {
		return func(*env) string { return `{"signup_ticket":"` + ticket + `",` + rest + `}` }
	}
	// A refusal changes nothing (the runner's fingerprint): no user is
	// written by the import or a sign-up refused.
	runStory(t, a.env, scenario{path: "/t/acme/register"}, []scenario{
		{name: "import", path: "/admin/api/tenants/acme/users/import", header: admin,
			body: `[{"phone":"13800000001","name":"x\u202ey"}]`, status: 400, check: func(t *testing.T, r response) {
				if !strings.Contains(r.Raw, "bidi") {
					t.Fatalf("import: %s", r.Raw)
				}
			}},
		{name: "policy", method: "PATCH", path: "/admin/api/tenants/acme", header: admin,
			body: `{"settings":{"registration":"signup"}}`, status: 200, audit: []string{"tenant.updated"}},
		{name: "a ticket", path: "/t/acme/login", before: func(e *env) { e.reg.Invalidate(t.Context(), "acme") },
			bodyFn: func(e *env) string { return `{"code":"` + e.code("newcomer") + `"}` }, status: 200, check: func(t *testing.T, r response) {
				if ticket, _ = r.Body["signup_ticket"].(string); ticket == "" {
					t.Fatalf("no ticket: %s", r.Raw)
				}
			}},
		{name: "register with NUL", bodyFn: register(`"nickname":"a\u0000b"`), status: 400, code: "invalid_request"},
		{name: "register with an isolate", bodyFn: register(`"nickname":"a\u2066b"`), status: 400, code: "invalid_request"},
		{name: "register with a temporary avatar", bodyFn: register(`"avatar_url":"http://tmp/x.png"`), status: 400, code: "invalid_request"},
		{name: "register with a risky nickname", before: func(e *env) {
			e.wx.SetContentRule("坏词", "risky", 20006) // the content check runs at sign-up too
		}, bodyFn: register(`"nickname":"坏词"`), status: 422, code: "nickname_rejected"},
		{name: "the ticket still works", bodyFn: register(`"nickname":"新人"`), status: 200, delta: state{1, 1, 1}},
	})
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
	admin := adminHeader(a.callers[own])
	settings := func(name, body string) scenario {
		return scenario{name: name, method: "PATCH", path: "/admin/api/tenants/acme", header: admin,
			body: `{"settings":` + body + `}`, status: 200, audit: []string{"tenant.updated"}}
	}
	// The content check's calls during the row (counted from its before),
	// the nickname in MySQL afterwards, and the review entries audited.
	var calls int
	after := func(stored string, checks, audited int) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			var nick string
			e.db.Get(&nick, "SELECT nickname FROM users")
			if nick != stored {
				t.Errorf("nickname %q, want %q", nick, stored)
			}
			if got := e.wx.Calls("msg_sec_check") - calls; got != checks {
				t.Errorf("%d msg_sec_check calls, want %d", got, checks)
			}
			if got := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.nickname_review'"); got != audited {
				t.Errorf("%d review audit entries, want %d", got, audited)
			}
		}
	}
	nickname := func(n string) string { return `{"nickname":"` + n + `"}` }
	rows := []scenario{
		{name: "a new tenant checks nicknames, failing open", method: "GET", path: "/admin/api/tenants/acme", header: admin, status: 200,
			check: func(t *testing.T, r response) {
				if r.obj("tenant", "settings")["nickname_check"] != true || r.obj("tenant", "settings")["nickname_check_fail_open"] != true {
					t.Fatalf("a new tenant should check nicknames, failing open: %s", r.Raw)
				}
			}},
		{name: "pass", body: nickname("小明"), status: 200, check: after("小明", 1, 0)},
		{name: "unchanged nickname is not checked again", body: nickname("小明"), status: 200, check: after("小明", 0, 0)},
		{name: "risky (§4.2 errcode 0, result.suggest risky)", body: nickname("我是坏词"), status: 422, code: "nickname_rejected", check: after("小明", 1, 0)},
		{name: "review is accepted and audited", body: nickname("有点可疑"), status: 200, audit: []string{"user.nickname_review"}, check: after("有点可疑", 1, 1)},
		{name: "WeChat busy (-1 twice), fail open", before: func(e *env) { e.wx.SetFaults(wechattest.Faults{SystemErrors: 2}) },
			body: nickname("小红"), status: 200, check: after("小红", 2, 1)},
		settings("fail closed", `{"nickname_check_fail_open":false}`),
		{name: "WeChat busy, fail closed", before: func(e *env) {
			e.wx.SetFaults(wechattest.Faults{SystemErrors: 2})
		}, body: nickname("小刚"), status: 502, code: "wechat_unavailable", check: after("小红", 2, 1)},
		// Three hours on, the cached access token has expired too: the token
		// cache (on the same clock) renews it before the check, which then
		// answers 61010.
		{name: "visit older than 2 hours (61010), fail closed", before: func(e *env) { e.clock.Add(3 * time.Hour) },
			body: nickname("小刚"), status: 502, code: "wechat_unavailable", check: after("小红", 1, 1)},
		settings("check off", `{"nickname_check":false}`),
		{name: "check off: risky words pass untouched",
			body: nickname("坏词"), status: 200, check: after("坏词", 0, 1)},
	}
	for i := range rows {
		setup := rows[i].before
		rows[i].before = func(e *env) {
			if setup != nil {
				setup(e)
			}
			calls = e.wx.Calls("msg_sec_check")
		}
	}
	runScenarios(t, e, scenario{method: "PATCH", path: "/t/acme/me", header: bearer(token)},
		withCleanup(rows, func(e *env) { e.wx.SetFaults(wechattest.Faults{}) }))
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
	runScenarios(t, e, scenario{method: "PATCH", path: "/t/acme/me", header: bearer(token)}, []scenario{
		{name: "old settings: not checked", body: `{"nickname":"坏词"}`, status: 200, check: func(t *testing.T, r response) {
			if n := e.wx.Calls("msg_sec_check"); n != 0 {
				t.Fatalf("old settings: %d checks", n)
			}
		}},
	})
}
