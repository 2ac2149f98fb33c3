package api_test

import (
	"strconv"
	"testing"
	"time"
)

// Linking (issue 15 part 4): GET/POST /me/identities, DELETE
// /me/identities/{id}.

// identityID is the id of user's identity in the app of kind, as the API
// shows it.
func (e *env) identityID(publicID, kind string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT i.id FROM identities i JOIN apps a ON a.id = i.app_id JOIN users u ON u.id = i.user_id
		WHERE u.public_id = ? AND a.kind = ?`, publicID, kind); err != nil {
		e.t.Fatalf("identity of %s in a %s: %v", publicID, kind, err)
	}
	return strconv.FormatInt(id, 10)
}

// kinds lists the kinds of a /me/identities answer, in order.
func kinds(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, w := range r.list("identities") {
		out = append(out, get[string](t, w, "kind"))
	}
	return out
}

func wantKinds(want ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		got := kinds(t, r)
		if len(got) != len(want) {
			t.Fatalf("ways in %v, want %v: %s", got, want, r.Raw)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("ways in %v, want %v: %s", got, want, r.Raw)
			}
		}
	}
}

func TestIdentities(t *testing.T) {
	e := withOpenApps(t)
	hongLogin := e.loginBody(`{"code":"` + e.code("hong") + `"}`)
	hong, token := hongLogin.str("user", "id"), hongLogin.str("session")
	remember(token, "session token")
	lan := e.appLogin("lan").str("user", "id")      // an app user
	e.loginBody(`{"code":"` + e.code("mei") + `"}`) // a mini-program user
	auth := bearer(token)
	link := func(kind string, code func(e *env) string) func(e *env) string {
		return func(e *env) string { return `{"kind":"` + kind + `","code":"` + code(e) + `"}` }
	}
	app := func(user string) func(e *env) string { return func(e *env) string { return e.appCode(user) } }
	mp := func(user string) func(e *env) string { return func(e *env) string { return e.code(user) } }

	rows := []scenario{
		{name: "the mini-program only", method: "GET", status: 200, check: func(t *testing.T, r response) {
			wantKinds("miniprogram")(t, r)
			w := get[map[string]any](t, r.list("identities")[0])
			if w["app_id"] != demoAppID || w["id"] != e.identityID(hong, "miniprogram") || w["last_used_at"] == nil {
				t.Errorf("identity %v", w)
			}
		}},
		{name: "no session", method: "GET", header: []string{}, status: 401, code: "invalid_session"},
		{name: "link the app", bodyFn: link("mobileapp", app("hong")), status: 200, delta: state{0, 1, 0},
			check: wantKinds("miniprogram", "mobileapp")},
		{name: "link the app again: no change", bodyFn: link("mobileapp", app("hong")), status: 200,
			check: wantKinds("miniprogram", "mobileapp")},
		{name: "another user's app identity", bodyFn: link("mobileapp", app("lan")), status: 409, code: "identity_in_use"},
		{name: "an app identity whose unionid another user holds", bodyFn: link("mobileapp", app("mei")), status: 409, code: "identity_in_use"},
		{name: "a mini-program identity whose unionid another user holds", bodyFn: link("miniprogram", mp("lan")), status: 409, code: "identity_in_use"},
		{name: "another user's mini-program identity", bodyFn: link("miniprogram", mp("mei")), status: 409, code: "identity_in_use"},
		{name: "a used code", bodyFn: func(e *env) string {
			c := e.appCode("hong")
			e.do("POST", "/t/acme/login/wechat-app", `{"code":"`+c+`"}`)
			return `{"kind":"mobileapp","code":"` + c + `"}`
		}, status: 401, code: "invalid_code"},
		{name: "a kind linked otherwise", body: `{"kind":"website","code":"abc"}`, status: 400, code: "invalid_request"},
		{name: "no code", body: `{"kind":"mobileapp"}`, status: 400, code: "invalid_request"},
		{name: "unknown field", body: `{"kind":"mobileapp","code":"abc","openid":"x"}`, status: 400, code: "invalid_request"},
		{name: "an app of no such kind", bodyFn: func(e *env) string {
			return `{"kind":"mobileapp","code":"` + e.appCode("hong") + `","appid":"` + demoAppID + `"}`
		}, status: 400, code: "invalid_request"},
		{name: "link without a session", header: []string{}, bodyFn: link("mobileapp", app("hong")), status: 401, code: "invalid_session"},
	}
	runScenarios(t, e, scenario{path: "/t/acme/me/identities", header: auth}, rows)

	appID, mpID, lanApp := e.identityID(hong, "mobileapp"), e.identityID(hong, "miniprogram"), e.identityID(lan, "mobileapp")
	del := "/t/acme/me/identities/"
	rows = []scenario{
		{name: "another user's identity", path: del + lanApp, status: 404, code: "not_found"},
		{name: "no such id", path: del + "999999999", status: 404, code: "not_found"},
		{name: "no phone bound", path: del + "phone", status: 404, code: "not_found"},
		{name: "not an id", path: del + "x%20y", status: 404, code: "not_found"},
		{name: "without a session", path: del + appID, header: []string{}, status: 401, code: "invalid_session"},
		{name: "unlink the app", path: del + appID, status: 204, delta: state{0, -1, 0}},
		{name: "the list without it", method: "GET", path: "/t/acme/me/identities", status: 200, check: wantKinds("miniprogram")},
		{name: "the last one", path: del + mpID, status: 409, code: "last_identity"},
		{name: "bind a phone", method: "POST", path: "/t/acme/me/phone", bodyFn: func(e *env) string {
			return `{"code":"` + e.phoneCode(demoAppID, "hong") + `"}`
		}, status: 200},
		{name: "the phone is a way in", method: "GET", path: "/t/acme/me/identities", status: 200, check: wantKinds("miniprogram", "phone")},
		{name: "unlink the phone", path: del + "phone", status: 204, check: func(t *testing.T, r response) {
			if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ? AND phone IS NULL`, hong); n != 1 {
				t.Error("the phone is still bound")
			}
		}},
		{name: "the last one still", path: del + mpID, status: 409, code: "last_identity"},
	}
	runScenarios(t, e, scenario{method: "DELETE", header: auth}, rows)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('user.identity_linked', 'user.identity_unlinked') AND target_id = ?`, hong); n != 3 {
		t.Errorf("%d audit entries of links and unlinks, want 3", n)
	}

	// The app identity unlinked shares hong's unionid with the
	// mini-program: the unionid rule joins it back on its next sign-in.
	if again := e.appLogin("hong"); again.str("user", "id") != hong {
		t.Fatalf("hong on the app after the unlink: %s", again.Raw)
	}
}

// An identity unlinked that alone carried the user's unionid takes the
// unionid with it: the same person signing in there again is a new user,
// never silently joined back.
func TestUnlinkForgetsUnionID(t *testing.T) {
	e := withOpenApps(t)
	e.wx.AddApp(demoAppID, demoSecret, "") // the mini-program off the open platform: no unionid
	r := e.loginBody(`{"code":"` + e.code("solo") + `"}`)
	solo, token := r.str("user", "id"), r.str("session")
	remember(token, "session token")
	if l := e.do("POST", "/t/acme/me/identities", `{"kind":"mobileapp","code":"`+e.appCode("solo")+`"}`, bearer(token)...); l.Status != 200 {
		t.Fatalf("link: %d %s", l.Status, l.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ? AND unionid IS NOT NULL`, solo); n != 1 {
		t.Fatal("the link did not give the user the app's unionid")
	}
	if d := e.do("DELETE", "/t/acme/me/identities/"+e.identityID(solo, "mobileapp"), "", bearer(token)...); d.Status != 204 {
		t.Fatalf("unlink: %d %s", d.Status, d.Raw)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ? AND unionid IS NULL`, solo); n != 1 {
		t.Fatal("the user kept the unionid of the identity unlinked")
	}
	if again := e.appLogin("solo"); again.str("user", "id") == solo || again.obj("user")["is_new"] != true {
		t.Fatalf("solo on the app after the unlink: %s", again.Raw)
	}
}

// issue 16 item 6: an identity's last sign-in moves on every login, on the
// quick path (no webhook listens) and on the transaction's.
func TestIdentityLastLoginMoves(t *testing.T) {
	e := withOpenApps(t)
	r := e.loginBody(`{"code":"` + e.code("hong") + `"}`)
	token := r.str("session")
	remember(token, "session token")
	lastUsed := func() string {
		l := e.do("GET", "/t/acme/me/identities", "", bearer(token)...)
		if l.Status != 200 {
			t.Fatalf("list: %d %s", l.Status, l.Raw)
		}
		return get[string](t, l.list("identities")[0], "last_used_at")
	}
	first := lastUsed()
	// Each login takes well over the column's millisecond; a starved
	// machine gets more tries, never a shorter wait.
	for deadline := time.Now().Add(60 * time.Second); lastUsed() == first; {
		if time.Now().After(deadline) {
			t.Fatal("the identity's last use never moved")
		}
		e.loginBody(`{"code":"` + e.code("hong") + `"}`)
	}
	// The transaction's path: the unionid is learnt on this login.
	e.wx.AddMobileApp(mobileAppID, mobileAppSecret, "") // the app off the open platform: no unionid at first
	a := e.appLogin("li")
	remember(a.str("session"), "session token")
	e.wx.AddMobileApp(mobileAppID, mobileAppSecret, acmeOpen)
	var before time.Time
	if err := e.db.Get(&before, `SELECT last_login_at FROM identities WHERE openid = ?`, e.wx.OpenID(mobileAppID, "li")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		e.appLogin("li")
		var now time.Time
		if err := e.db.Get(&now, `SELECT last_login_at FROM identities WHERE openid = ?`, e.wx.OpenID(mobileAppID, "li")); err != nil {
			t.Fatal(err)
		}
		if now.After(before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the identity's last use never moved on the transaction's path")
		}
	}
}
