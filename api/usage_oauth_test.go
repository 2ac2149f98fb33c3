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

	wantUsageToday(t, e, stats.WayOAuth, oaAppID, usageToday{logins: 1, newUsers: 1, failed: 1, dau: 1, cause: refused})
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
	wantUsageToday(t, e, stats.WayApp, mobileAppID, usageToday{logins: 2, newUsers: 1, failed: 1, dau: 1, cause: refused})
}

// usageToday is what a way in's charts must show for today: its counts,
// the one cause its failures were counted under, and (checked by
// wantUsageToday) one app, the one given, with the same logins and
// failures.
type usageToday struct {
	logins, newUsers, failed, dau int64
	cause                         string
}

func wantUsageToday(t *testing.T, e *env, way stats.Way, appid string, want usageToday) {
	t.Helper()
	u, err := e.usage.Tenant(context.Background(), e.tenant.ID, stats.Query{Way: way})
	if err != nil {
		t.Fatal(err)
	}
	last := len(u.Days) - 1
	if got := (usageToday{u.Logins[last], u.NewUsers[last], u.Failed[last], u.DAU[last], want.cause}); got != want {
		t.Fatalf("%s today: %+v, want %+v", way, got, want)
	}
	if len(u.FailedByCause) != 1 || u.FailedByCause[0].Cause != want.cause {
		t.Fatalf("%s failed by cause %v, want %s only", way, u.FailedByCause, want.cause)
	}
	var appID int64
	if err := e.db.Get(&appID, `SELECT id FROM apps WHERE appid = ?`, appid); err != nil {
		t.Fatal(err)
	}
	if len(u.Apps) != 1 || u.Apps[0].AppID != appID || u.Apps[0].Logins != want.logins || u.Apps[0].Failed != want.failed {
		t.Fatalf("%s per app %+v, want %s (%d) only, %d logins and %d failed", way, u.Apps, appid, appID, want.logins, want.failed)
	}
}
