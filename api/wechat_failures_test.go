package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/api"
	"miniauth/tenants/tokens"
	"miniauth/tenants/wechat/wechattest"
)

// WeChat's failures played by the simulator, and what the API answers.

// wechat-api.md §1: 40226 "code blocked" is a high-risk user WeChat
// blocks, not a bad code: 403 wechat_user_blocked, counted in the login
// metrics and listed in the console.
func TestBlockedUser(t *testing.T) {
	e := newAdminEnv(t)
	e.wx.SetUserFlags("risky", wechattest.UserFlags{Blocked: true})
	runScenarios(t, e.env, scenario{path: "/t/acme/login"}, []scenario{
		{name: "blocked user", bodyFn: codeBodyOf("risky"), status: 403, code: "wechat_user_blocked",
			check: func(t *testing.T, r response) {
				if !strings.Contains(r.str("error", "message"), "微信") {
					t.Fatalf("blocked user: %s", r.Raw)
				}
			}},
		{name: "another user", bodyFn: codeBodyOf("fine"), status: 200, delta: state{1, 1, 1}},
		{name: "the console lists the blocked login", method: "GET", path: "/admin/api/tenants/acme/overview",
			header: adminHeader(e.callers[own]), status: 200,
			check: func(t *testing.T, r response) {
				if errs := r.list("wechat_errors"); len(errs) != 1 || get[float64](t, errs[0], "errcode") != 40226 {
					t.Fatalf("overview errors: %s", r.Raw)
				}
			}},
		{name: "/metrics counts the blocked login", method: "GET", path: metricsURL(t, e.env), raw: true, status: 200,
			check: func(t *testing.T, r response) {
				if !strings.Contains(r.Raw, `miniauth_logins_total{outcome="wechat_user_blocked",tenant="acme"} 1`) {
					t.Error("/metrics does not count the blocked login")
				}
			}},
	})
}

// codeBodyOf is a login body with a fresh code of user.
func codeBodyOf(user string) func(*env) string {
	return func(e *env) string { return `{"code":"` + e.code(user) + `"}` }
}

// metricsURL is where the Prometheus text of e's node is read, on an
// address of its own as serve puts it (MINIAUTH_METRICS_ADDR).
func metricsURL(t *testing.T, e *env) string {
	t.Helper()
	srv := httptest.NewServer(e.metrics.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// metrics reads the Prometheus text of e's node, which serve puts on its
// own address (MINIAUTH_METRICS_ADDR), never on the public one.
func metrics(t *testing.T, e *env) string {
	t.Helper()
	res, err := http.Get(metricsURL(t, e))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

// wechat-api.md §6.2: after -1, WeChat may have spent the code (a retry
// gets 40163) or not. The client retries once; either way the answer is
// right: a session, or invalid_code (call wx.login again), never a
// session made twice.
func TestSystemErrorMaySpendTheCode(t *testing.T) {
	for _, tt := range []struct {
		consume bool
		status  int
		code    string
	}{{false, 200, ""}, {true, 401, "invalid_code"}} {
		t.Run(fmt.Sprintf("consume=%v", tt.consume), func(t *testing.T) {
			e := newEnv(t)
			e.wx.AddRule(wechattest.Rule{API: "jscode2session", Errcode: -1, Consume: tt.consume})
			rows := []scenario{{name: "login through a -1", bodyFn: codeBodyOf("vic"), status: tt.status, code: tt.code,
				delta: state{1, 1, 1},
				check: func(t *testing.T, r response) {
					if n := e.wx.Calls("jscode2session"); n != 2 {
						t.Errorf("%d calls, want the call and one retry", n)
					}
				}}}
			if tt.consume { // the mini-program calls wx.login again
				rows[0].delta = state{}
				rows = append(rows, scenario{name: "fresh code after a spent one", bodyFn: codeBodyOf("vic"), status: 200, delta: state{1, 1, 1}})
			}
			runScenarios(t, e, scenario{path: "/t/acme/login"}, rows)
		})
	}
}

// wechat-open-api.md §3: a snapshot-page user's openid and unionid are
// virtual: nothing is registered or merged, the page gets
// #error=snapshot_user. 48001 from sns/userinfo is taken the same way.
func TestSnapshotUserIsRefused(t *testing.T) {
	e := withOfficialAccount(t)
	e.loginBody(`{"code":"` + e.code("wen") + `"}`) // wen is known from the mini-program
	var steps []scenario
	for _, play := range []struct {
		name string
		play func(e *env)
	}{
		{"snapshot page", func(e *env) { e.wx.SetUserFlags("wen", wechattest.UserFlags{Snapshot: true}) }},
		{"48001 from sns/userinfo", func(e *env) {
			e.wx.SetUserFlags("wen", wechattest.UserFlags{})
			e.wx.AddRule(wechattest.Rule{API: "userinfo", Errcode: 48001})
		}},
	} {
		f, more := oauthSteps(e, "snsapi_userinfo", "wen")
		more[0].before, more[0].name = play.play, play.name+": "+more[0].name
		// Nothing is registered or merged: the rows' deltas are zero.
		steps = append(append(steps, more...), f.back(scenario{name: play.name + ": callback",
			check: func(t *testing.T, r response) {
				if u := r.locationURL(); u.RawQuery != "" || u.Fragment != "error=snapshot_user" {
					t.Fatalf("back at %s, want the page with #error=snapshot_user", u)
				}
			}}))
	}
	f, more := oauthSteps(e, "snsapi_userinfo", "wen") // the real consent
	steps = append(append(steps, more...), f.back(scenario{name: "after using the full service", delta: state{0, 1, 1},
		check: func(t *testing.T, r response) {
			if frag := oauthFragment(t, r); frag.Get("session") == "" || frag.Get("is_new") != "false" {
				t.Fatalf("after using the full service: %s", r.locationURL())
			}
		}}))
	runStory(t, e, scenario{}, steps)
}

// wechat-api.md §2.2: a forced refresh kills the token for everyone and
// is allowed 20 a day, 30 s apart. A backend may force one only by
// presenting the current token; miniauth then keeps to WeChat's limits for
// all nodes, audits each, and never loops.
func TestBackendForcedRefreshIsLimited(t *testing.T) {
	e := newEnv(t)
	key, _, err := e.apiKeys.Create(context.Background(), e.tenant.ID, "backend", tenantsCLI())
	if err != nil {
		t.Fatal(err)
	}
	remember(key, "API key")
	var cur string
	stale := func(token *string) func(*env) string {
		return func(*env) string { return "/t/acme/wechat/access-token?stale=" + url.QueryEscape(*token) }
	}
	old := "96_not-the-current-token"
	steps := []scenario{
		{name: "the current token", path: "/t/acme/wechat/access-token", status: 200,
			check: func(t *testing.T, r response) { cur = r.str("access_token"); remember(cur, "access token") }},
		{name: "an old stale token", pathFn: stale(&old), status: 200,
			check: func(t *testing.T, r response) {
				if r.str("access_token") != cur {
					t.Fatalf("an old stale token: %s", r.Raw)
				}
				if n := e.wx.Calls("stable_token"); n != 1 {
					t.Fatalf("%d stable_token calls; an old stale token must not reach WeChat", n)
				}
			}},
	}
	const forced = 20
	for i := range forced {
		steps = append(steps,
			scenario{name: fmt.Sprintf("force %d", i+1), pathFn: stale(&cur), status: 200,
				audit: []string{"wechat.access_token.force_refreshed"},
				check: func(t *testing.T, r response) {
					if r.str("access_token") == cur {
						t.Fatalf("force %d: the same token: %s", i+1, r.Raw)
					}
					cur = r.str("access_token")
					remember(cur, "access token")
				}},
			// At once again: under 30 s.
			scenario{name: fmt.Sprintf("force %d again at once", i+1), pathFn: stale(&cur), status: 429, code: "rate_limited",
				cleanup: func(e *env) { e.clock.Add(tokens.ForceSpacing) },
				check: func(t *testing.T, r response) {
					if r.Header.Get("Retry-After") == "" {
						t.Fatal("429 without Retry-After")
					}
				}})
	}
	steps = append(steps, scenario{name: "force 21", pathFn: stale(&cur), status: 429, code: "rate_limited",
		check: func(t *testing.T, r response) {
			if !strings.Contains(r.Raw, "20 times today") {
				t.Fatalf("force 21: %s", r.Raw)
			}
		}})
	runStory(t, e, scenario{method: "GET", header: bearer(key)}, steps)
	if n := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'wechat.access_token.force_refreshed' AND tenant_id = ? AND actor_type = 'api_key'", e.tenant.ID); n != forced {
		t.Fatalf("%d audit entries for %d forced refreshes", n, forced)
	}
}

// wechat-api.md §2.1/§2.2: 45009 is a spent daily quota: its own answer,
// not "WeChat did not answer", and a warning in the console.
func TestDailyQuotaExhausted(t *testing.T) {
	e := newAdminEnv(t)
	e.wx.AddRule(wechattest.Rule{API: "stable_token", Errcode: 45009, Fraction: 1})
	alice := e.login("alice")
	runScenarios(t, e.env, scenario{}, []scenario{
		{name: "quota spent", path: "/t/acme/me/phone", header: bearer(alice), bodyFn: phoneBodyOf("alice"),
			status: 429, code: "wechat_quota_exhausted",
			check: func(t *testing.T, r response) {
				if r.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
			}},
		{name: "a warning in the console", method: "GET", path: "/admin/api/tenants/acme/overview",
			header: adminHeader(e.callers[own]), status: 200,
			check: func(t *testing.T, r response) {
				if errs := r.list("wechat_errors"); len(errs) == 0 || get[float64](t, errs[0], "errcode") != 45009 {
					t.Fatalf("overview errors: %s", r.Raw)
				}
			}},
	})
}

// phoneBodyOf is a /me/phone body with a fresh phone code of user.
func phoneBodyOf(user string) func(*env) string {
	return func(e *env) string { return `{"code":"` + e.phoneCode(demoAppID, user) + `"}` }
}

// wechat-open-api.md §7 rule 1: 40001, 40014 and 42001 mean the token is
// bad; it is renewed and the call made once more. WeChat still handing
// out the refused token in normal mode takes a forced refresh, so the
// clock moves 30 s between them. 42001 is played both by a rule and by
// letting the token expire.
func TestTokenRenewalCodes(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	rows := []scenario{{name: "first bind"}}
	for _, code := range []int{40001, 40014, 42001} {
		rows = append(rows, scenario{name: fmt.Sprintf("after %d", code), before: func(e *env) {
			e.clock.Add(tokens.ForceSpacing)
			e.wx.AddRule(wechattest.Rule{API: "getuserphonenumber", Errcode: code})
		}})
	}
	var calls int
	rows = append(rows, scenario{name: "after the token expired",
		before: func(e *env) {
			e.wx.ExpireTokens(demoAppID)
			calls = e.wx.Calls("stable_token")
		},
		check: func(t *testing.T, r response) {
			if n := e.wx.Calls("stable_token"); n != calls+1 {
				t.Fatalf("%d stable_token calls after the token expired, want %d", n, calls+1)
			}
		}})
	for i := range rows {
		rows[i].bodyFn, rows[i].status = phoneBodyOf("alice"), 200
	}
	runStory(t, e, scenario{path: "/t/acme/me/phone", header: bearer(alice)}, rows)
}

// A phone_code is paid for and single use: it is exchanged only once the
// login stands, and not at all when too little of the request is left.
func TestLoginPhoneCodeWaitsForTheLogin(t *testing.T) {
	e := newAdminEnv(t)
	e.login("banned")
	// The ban's path logs banned in once more (userID), before the row.
	runStory(t, e.env, scenario{}, []scenario{
		{name: "ban", pathFn: func(*env) string { return "/admin/api/tenants/acme/users/" + e.userID("banned") + "/ban" },
			header: adminHeader(e.callers[own]), status: 200, delta: state{0, 0, -2}}, // both of banned's sessions end
		{name: "banned user with a phone_code", path: "/t/acme/login", status: 403, code: "user_banned",
			bodyFn: func(e *env) string {
				return `{"code":"` + e.code("banned") + `","phone_code":"` + e.phoneCode(demoAppID, "banned") + `"}`
			},
			check: func(t *testing.T, r response) {
				if n := e.wx.Calls("getuserphonenumber"); n != 0 {
					t.Fatalf("%d phone calls for a banned user", n)
				}
			}},
	})

	// A request deadline that leaves under 2 s for WeChat after the
	// margin: the login stands, the phone code is kept for /me/phone.
	short := newEnv(t, func(d *api.Deps) { d.RequestTimeout = 3 * time.Second })
	phone := short.phoneCode(demoAppID, "hasty")
	var session string
	runStory(t, short, scenario{}, []scenario{
		{name: "short deadline", path: "/t/acme/login", status: 200, delta: state{1, 1, 1},
			bodyFn: func(e *env) string { return `{"code":"` + e.code("hasty") + `","phone_code":"` + phone + `"}` },
			check: func(t *testing.T, r response) {
				if r.str("phone_error", "code") != "wechat_unavailable" || short.wx.Calls("getuserphonenumber") != 0 {
					t.Fatalf("short deadline: %s", r.Raw)
				}
				session = r.str("session")
			}},
		{name: "the kept phone code", path: "/t/acme/me/phone", body: `{"code":"` + phone + `"}`, status: 200,
			headerFn: func(*env) []string { return bearer(session) }},
	})
}

// wechat-api.md §5.2, §8: calling wx.login may rotate the session_key, so
// data the phone encrypts afterwards does not open with the key the
// session holds: 409 session_key_stale (log in again), and the new login's
// key opens it.
func TestSessionKeyRotatedByWxLogin(t *testing.T) {
	e := newEnv(t)
	e.wx.SetSessionKeyRotation(wechattest.RotateOnLogin)
	session := e.login("rita")
	e.code("rita") // the phone calls wx.login again and does not post the code
	var fresh string
	openData := func(e *env) string { return e.openData("rita", false) }
	runStory(t, e, scenario{}, []scenario{
		{name: "data under the rotated key", path: "/t/acme/me/decrypt", header: bearer(session), bodyFn: openData,
			status: 409, code: "session_key_stale"},
		{name: "log in again", path: "/t/acme/login", bodyFn: codeBodyOf("rita"), status: 200, delta: state{0, 0, 1},
			check: func(t *testing.T, r response) {
				fresh = r.str("session")
				remember(e.wx.SessionKey(demoAppID, "rita"), "session_key")
			}},
		{name: "after logging in again", path: "/t/acme/me/decrypt", bodyFn: openData, status: 200,
			headerFn: func(*env) []string { return bearer(fresh) }},
	})
}

// wechat-api.md §3: the phone code is single use, so a -1 is not retried;
// whether WeChat spent the code or not, trying the same code again gets a
// right answer: bound, or invalid_phone_code (tap the button again).
func TestPhoneSystemErrorEitherWay(t *testing.T) {
	for _, tt := range []struct {
		consume bool
		status  int
	}{{false, 200}, {true, 400}} {
		t.Run(fmt.Sprintf("consume=%v", tt.consume), func(t *testing.T) {
			e := newEnv(t)
			alice := e.login("alice")
			code := e.phoneCode(demoAppID, "alice")
			e.wx.AddRule(wechattest.Rule{API: "getuserphonenumber", Errcode: -1, Consume: tt.consume})
			body := `{"code":"` + code + `"}`
			runStory(t, e, scenario{path: "/t/acme/me/phone", header: bearer(alice)}, []scenario{
				{name: "a -1", body: body, status: 502, code: "wechat_unavailable"},
				{name: "the same code again", body: body, status: tt.status},
			})
		})
	}
}
