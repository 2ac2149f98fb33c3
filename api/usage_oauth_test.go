package api_test

import (
	"context"
	"net/url"
	"testing"

	"miniauth/tenants/stats"
)

// TestUsageCountsWebOAuth: web OAuth of an official account is counted
// under its way in and app, a login as a new user, and a code WeChat
// refuses under the error code the page is sent back with.
func TestUsageCountsWebOAuth(t *testing.T) {
	e := withOfficialAccount(t)
	ann, steps := oauthSteps(e, "snsapi_base", "ann")
	steps = append(steps, ann.back(scenario{name: "ann signs in", delta: state{1, 1, 1},
		check: func(t *testing.T, r response) {
			if oauthFragment(t, r).Get("session") == "" {
				t.Fatalf("no session in %s", r.locationURL())
			}
		}}))
	var refused string
	bob, more := oauthSteps(e, "snsapi_base", "bob")
	steps = append(append(steps, more...), bob.back(scenario{name: "a code WeChat never issued", location: h5Page + "?error=",
		pathFn: func(e *env) string {
			bad, err := url.Parse(bob.callback)
			if err != nil {
				e.t.Fatal(err)
			}
			q := bad.Query()
			q.Set("code", "never-issued-0004")
			bad.RawQuery = q.Encode()
			return bad.String()
		},
		check: func(t *testing.T, r response) {
			if refused = r.locationURL().Query().Get("error"); refused == "" {
				t.Fatal("a code WeChat never issued was not refused")
			}
		}}))
	runStory(t, e, scenario{}, steps)

	counter := stats.NewCounter(e.rdb, e.prefix)
	counter.SetClock(e.clock.Now)
	u, err := stats.NewStore(e.db, counter).Tenant(context.Background(), e.tenant.ID, stats.Query{Way: stats.WayOAuth})
	if err != nil {
		t.Fatal(err)
	}
	last := len(u.Days) - 1
	if u.Logins[last] != 1 || u.NewUsers[last] != 1 || u.Failed[last] != 1 || u.DAU[last] != 1 {
		t.Fatalf("web OAuth today: %d logins, %d new users, %d failed, DAU %d; want 1 each",
			u.Logins[last], u.NewUsers[last], u.Failed[last], u.DAU[last])
	}
	if len(u.FailedByCause) != 1 || u.FailedByCause[0].Cause != refused {
		t.Fatalf("failed by cause %v, want the page's error %s", u.FailedByCause, refused)
	}
	var oaID int64
	if err := e.db.Get(&oaID, `SELECT id FROM apps WHERE appid = ?`, oaAppID); err != nil {
		t.Fatal(err)
	}
	if len(u.Apps) != 1 || u.Apps[0].AppID != oaID || u.Apps[0].Logins != 1 || u.Apps[0].Failed != 1 {
		t.Fatalf("per app %+v, want the official account (%d) only", u.Apps, oaID)
	}
}

// TestUsageCountsWeChatApp: the WeChat app's way in is counted under
// "app" and its mobile application, a refused code under the error code
// the app is answered with.
func TestUsageCountsWeChatApp(t *testing.T) {
	e := withOpenApps(t)
	var refused string
	runScenarios(t, e, scenario{path: "/t/acme/login/wechat-app"}, []scenario{
		{name: "ann is new", bodyFn: appBody("ann"), status: 200, delta: state{1, 1, 1}},
		{name: "ann again", bodyFn: appBody("ann"), status: 200, delta: state{0, 0, 1}},
		{name: "a code WeChat never issued", body: `{"code":"never-issued-0005"}`, status: 401, code: "invalid_code",
			check: func(t *testing.T, r response) { refused = r.errCode() }},
	})
	counter := stats.NewCounter(e.rdb, e.prefix)
	counter.SetClock(e.clock.Now)
	u, err := stats.NewStore(e.db, counter).Tenant(context.Background(), e.tenant.ID, stats.Query{Way: stats.WayApp})
	if err != nil {
		t.Fatal(err)
	}
	last := len(u.Days) - 1
	if u.Logins[last] != 2 || u.NewUsers[last] != 1 || u.Failed[last] != 1 || u.DAU[last] != 1 {
		t.Fatalf("the app today: %d logins, %d new users, %d failed, DAU %d; want 2, 1, 1, 1",
			u.Logins[last], u.NewUsers[last], u.Failed[last], u.DAU[last])
	}
	if len(u.FailedByCause) != 1 || u.FailedByCause[0].Cause != refused {
		t.Fatalf("failed by cause %v, want the answer's %s", u.FailedByCause, refused)
	}
	var appID int64
	if err := e.db.Get(&appID, `SELECT id FROM apps WHERE appid = ?`, mobileAppID); err != nil {
		t.Fatal(err)
	}
	if len(u.Apps) != 1 || u.Apps[0].AppID != appID || u.Apps[0].Logins != 2 || u.Apps[0].Failed != 1 {
		t.Fatalf("per app %+v, want the mobile application (%d) only", u.Apps, appID)
	}
}
