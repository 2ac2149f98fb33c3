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
	var usedCode string

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
			audit: []string{"user.identity_linked"}, check: wantKinds("miniprogram", "mobileapp")},
		{name: "link the app again: no change", bodyFn: link("mobileapp", app("hong")), status: 200,
			audit: []string{}, check: wantKinds("miniprogram", "mobileapp")},
		{name: "another user's app identity", bodyFn: link("mobileapp", app("lan")), status: 409, code: "identity_in_use"},
		{name: "an app identity whose unionid another user holds", bodyFn: link("mobileapp", app("mei")), status: 409, code: "identity_in_use"},
		{name: "a mini-program identity whose unionid another user holds", bodyFn: link("miniprogram", mp("lan")), status: 409, code: "identity_in_use"},
		{name: "another user's mini-program identity", bodyFn: link("miniprogram", mp("mei")), status: 409, code: "identity_in_use"},
		{name: "hong signs in on the app, the code used from then on", path: "/t/acme/login/wechat-app", header: []string{},
			bodyFn: func(e *env) string { usedCode = e.appCode("hong"); return `{"code":"` + usedCode + `"}` }, status: 200, delta: state{0, 0, 1}},
		{name: "a used code", bodyFn: func(*env) string { return `{"kind":"mobileapp","code":"` + usedCode + `"}` }, status: 401, code: "invalid_code"},
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
		{name: "unlink the app", path: del + appID, status: 204, delta: state{0, -1, 0}, audit: []string{"user.identity_unlinked"}},
		{name: "the list without it", method: "GET", path: "/t/acme/me/identities", status: 200, check: wantKinds("miniprogram")},
		{name: "the last one", path: del + mpID, status: 409, code: "last_identity"},
		{name: "bind a phone", method: "POST", path: "/t/acme/me/phone", bodyFn: func(e *env) string {
			return `{"code":"` + e.phoneCode(demoAppID, "hong") + `"}`
		}, status: 200},
		{name: "the phone is a way in", method: "GET", path: "/t/acme/me/identities", status: 200, check: wantKinds("miniprogram", "phone")},
		{name: "unlink the phone", path: del + "phone", status: 204, audit: []string{"user.identity_unlinked"}, check: func(t *testing.T, r response) {
			if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ? AND phone IS NULL`, hong); n != 1 {
				t.Error("the phone is still bound")
			}
		}},
		{name: "the last one still", path: del + mpID, status: 409, code: "last_identity"},
		// The app identity unlinked shares hong's unionid with the
		// mini-program: the unionid rule joins it back on its next sign-in.
		{name: "hong on the app after the unlink", method: "POST", path: "/t/acme/login/wechat-app", header: []string{},
			bodyFn: appBody("hong"), status: 200, delta: state{0, 1, 1}, check: func(t *testing.T, r response) {
				if r.str("user", "id") != hong {
					t.Fatalf("hong on the app after the unlink: %s", r.Raw)
				}
			}},
	}
	runScenarios(t, e, scenario{method: "DELETE", header: auth}, rows)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('user.identity_linked', 'user.identity_unlinked') AND target_id = ?`, hong); n != 3 {
		t.Errorf("%d audit entries of links and unlinks, want 3", n)
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
	unionIDs := func(cond string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			if n := e.count(`SELECT COUNT(*) FROM users WHERE public_id = ? AND unionid IS `+cond, solo); n != 1 {
				t.Fatalf("the user's unionid is not %s", cond)
			}
		}
	}
	runStory(t, e, scenario{header: bearer(token)}, []scenario{
		{name: "link: the user gets the app's unionid", path: "/t/acme/me/identities",
			bodyFn: func(e *env) string { return `{"kind":"mobileapp","code":"` + e.appCode("solo") + `"}` },
			status: 200, delta: state{0, 1, 0}, check: unionIDs("NOT NULL")},
		{name: "unlink: the user loses it", method: "DELETE", pathFn: func(e *env) string {
			return "/t/acme/me/identities/" + e.identityID(solo, "mobileapp")
		}, status: 204, delta: state{0, -1, 0}, check: unionIDs("NULL")},
		{name: "solo on the app after the unlink is new", path: "/t/acme/login/wechat-app", header: []string{}, bodyFn: appBody("solo"),
			status: 200, delta: state{1, 1, 1}, check: func(t *testing.T, r response) {
				if r.str("user", "id") == solo || r.obj("user")["is_new"] != true {
					t.Fatalf("solo on the app after the unlink: %s", r.Raw)
				}
			}},
	})
}

// issue 16 item 6: an identity's last sign-in moves on every login, on the
// quick path (no webhook listens) and on the transaction's.
func TestIdentityLastLoginMoves(t *testing.T) {
	e := withOpenApps(t)
	r := e.loginBody(`{"code":"` + e.code("hong") + `"}`)
	token := r.str("session")
	remember(token, "session token")
	list := func(e *env) response {
		e.t.Helper()
		l := e.do("GET", "/t/acme/me/identities", "", bearer(token)...)
		if l.Status != 200 {
			e.t.Fatalf("list: %d %s", l.Status, l.Raw)
		}
		return l
	}
	lastUsed := func(t *testing.T, r response) string {
		t.Helper()
		return get[string](t, r.list("identities")[0], "last_used_at")
	}
	var first string
	var before time.Time
	loginAt := func(e *env) time.Time {
		e.t.Helper()
		var at time.Time
		if err := e.db.Get(&at, `SELECT last_login_at FROM identities WHERE openid = ?`, e.wx.OpenID(mobileAppID, "li")); err != nil {
			e.t.Fatal(err)
		}
		return at
	}
	runStory(t, e, scenario{}, []scenario{
		{name: "the last use", method: "GET", path: "/t/acme/me/identities", header: bearer(token), status: 200,
			check: func(t *testing.T, r response) { first = lastUsed(t, r) }},
		// Each login takes well over the column's millisecond; a starved
		// machine gets more tries, never a shorter wait. The tries are an
		// eventually loop, not rows: they go in the check.
		{name: "a login moves it", path: "/t/acme/login", bodyFn: func(e *env) string { return `{"code":"` + e.code("hong") + `"}` },
			status: 200, delta: state{0, 0, 1}, check: func(t *testing.T, r response) {
				for deadline := time.Now().Add(60 * time.Second); lastUsed(t, list(e)) == first; {
					if time.Now().After(deadline) {
						t.Fatal("the identity's last use never moved")
					}
					e.loginBody(`{"code":"` + e.code("hong") + `"}`)
				}
			}},
		{name: "the list shows the new last use", method: "GET", path: "/t/acme/me/identities", header: bearer(token), status: 200,
			check: func(t *testing.T, r response) {
				if lastUsed(t, r) == first {
					t.Fatalf("last use still %s", first)
				}
			}},
		// The transaction's path: the unionid is learnt on this login. The
		// app is off the open platform (no unionid) for li's first sign-in.
		{name: "li learns the unionid on a sign-in", path: "/t/acme/login/wechat-app", bodyFn: appBody("li"), before: func(e *env) {
			e.wx.AddMobileApp(mobileAppID, mobileAppSecret, "")
			remember(e.appLogin("li").str("session"), "session token")
			e.wx.AddMobileApp(mobileAppID, mobileAppSecret, acmeOpen)
			before = loginAt(e)
		}, status: 200, delta: state{0, 0, 1}, check: func(t *testing.T, r response) {
			for deadline := time.Now().Add(60 * time.Second); !loginAt(e).After(before); e.appLogin("li") {
				if time.Now().After(deadline) {
					t.Fatal("the identity's last use never moved on the transaction's path")
				}
			}
		}},
	})
}
