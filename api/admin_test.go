package api_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"miniauth/tenants/sessions"
)

// adminCase is one endpoint of the admin API. path and body are built per
// caller, so that a call that succeeds gets its own fresh object (a user
// to delete, a tenant to disable) and does not spoil the next caller's.
type adminCase struct {
	name   string
	method string
	path   func(e *adminEnv, who caller) string
	body   func(e *adminEnv, who caller) string
	want   [nCallers]int // by caller: platform, own, other, signed out, bad CSRF
}

var seq atomic.Int64

func fresh(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func fixed(p string) func(*adminEnv, caller) string {
	return func(*adminEnv, caller) string { return p }
}

// freshUser: a user of acme just logged in; returns "/admin/api/tenants/acme/users/<id>".
func freshUser(suffix string) func(*adminEnv, caller) string {
	return func(e *adminEnv, _ caller) string {
		return "/admin/api/tenants/acme/users/" + e.userID(fresh("user")) + suffix
	}
}

// freshTenantFor: the platform admin acts on a tenant of its own, so that
// disabling or deleting acme does not spoil later rows; everyone else
// aims at acme.
func freshTenantFor(suffix string) func(*adminEnv, caller) string {
	return func(e *adminEnv, who caller) string {
		if who != platform {
			return "/admin/api/tenants/acme" + suffix
		}
		slug := fresh("tmp-")
		r := e.as(e.callers[platform], "POST", "/admin/api/tenants",
			fmt.Sprintf(`{"slug":%q,"name":"Tmp","appid":%q,"secret":"tmp-app-secret-0123456789"}`, slug, fresh("wxtmp0000")))
		if r.Status != 201 {
			e.t.Fatalf("create %s: %d %s", slug, r.Status, r.Raw)
		}
		return "/admin/api/tenants/" + slug + suffix
	}
}

var (
	read       = [nCallers]int{200, 200, 404, 401, 200} // a tenant's data: GET needs no CSRF token
	change     = [nCallers]int{200, 200, 404, 401, 403}
	changed204 = [nCallers]int{204, 204, 404, 401, 403}
	platformOp = [nCallers]int{200, 403, 404, 401, 403} // on a tenant, platform admins only
)

func adminCases() []adminCase {
	appPath := "/admin/api/tenants/acme/apps/" + demoAppID
	return []adminCase{
		{"who am I", "GET", fixed("/admin/api/session"), nil, [nCallers]int{200, 200, 200, 401, 200}},
		{"list tenants", "GET", fixed("/admin/api/tenants"), nil, [nCallers]int{200, 200, 200, 401, 200}},
		{"create tenant", "POST", fixed("/admin/api/tenants"), func(*adminEnv, caller) string {
			return fmt.Sprintf(`{"slug":%q,"name":"New","appid":%q,"secret":"new-app-secret-0123456789"}`, fresh("new-"), fresh("wxnew0000"))
		}, [nCallers]int{201, 403, 403, 401, 403}},
		{"platform audit", "GET", fixed("/admin/api/audit?scope=all"), nil, [nCallers]int{200, 403, 403, 401, 200}},

		{"get tenant", "GET", fixed("/admin/api/tenants/acme"), nil, read},
		{"update tenant", "PATCH", fixed("/admin/api/tenants/acme"), func(*adminEnv, caller) string {
			return `{"name":"Acme Inc","settings":{"session_idle_seconds":3600}}`
		}, change},
		{"disable tenant", "POST", freshTenantFor("/disable"), nil, platformOp},
		{"enable tenant", "POST", freshTenantFor("/enable"), nil, platformOp},
		{"delete tenant", "DELETE", freshTenantFor(""), nil, [nCallers]int{204, 403, 404, 401, 403}},
		{"overview", "GET", fixed("/admin/api/tenants/acme/overview"), nil, read},
		{"tenant audit", "GET", fixed("/admin/api/tenants/acme/audit?action=user."), nil, read},

		{"list tenant admins", "GET", fixed("/admin/api/tenants/acme/admins"), nil, read},
		{"create tenant admin", "POST", fixed("/admin/api/tenants/acme/admins"), func(*adminEnv, caller) string {
			return fmt.Sprintf(`{"email":"%s@acme.example","password":%q}`, fresh("a"), adminPassword)
		}, [nCallers]int{201, 403, 404, 401, 403}},
		{"delete tenant admin", "DELETE", func(e *adminEnv, who caller) string {
			email := acmeEmail // refused callers aim at the real one
			if who == platform {
				email = fresh("gone") + "@acme.example"
				if r := e.as(e.callers[platform], "POST", "/admin/api/tenants/acme/admins",
					fmt.Sprintf(`{"email":%q,"password":%q}`, email, adminPassword)); r.Status != 201 {
					e.t.Fatalf("create admin: %d %s", r.Status, r.Raw)
				}
			}
			return "/admin/api/tenants/acme/admins/" + email
		}, nil, [nCallers]int{204, 403, 404, 401, 403}},

		{"list apps", "GET", fixed("/admin/api/tenants/acme/apps"), nil, read},
		{"add app", "POST", fixed("/admin/api/tenants/acme/apps"), func(*adminEnv, caller) string {
			return fmt.Sprintf(`{"appid":%q,"secret":"second-app-secret-012345"}`, fresh("wxsecond00"))
		}, [nCallers]int{201, 201, 404, 401, 403}},
		{"rotate secret", "PUT", fixed(appPath + "/secret"), func(*adminEnv, caller) string {
			return `{"secret":"` + demoSecret + `"}`
		}, changed204},
		{"choose default app", "POST", fixed(appPath + "/default"), nil, change},
		{"test credentials", "POST", fixed(appPath + "/test"), nil, change},

		{"list users", "GET", fixed("/admin/api/tenants/acme/users?q=user"), nil, read},
		{"get user", "GET", freshUser(""), nil, read},
		{"user of another tenant", "GET", func(e *adminEnv, _ caller) string {
			c, _ := e.wx.IssueCode(otherAppID, fresh("g"))
			r := e.do("POST", "/t/globex/login", `{"code":"`+c+`"}`)
			return "/admin/api/tenants/acme/users/" + r.str("user", "id")
		}, nil, [nCallers]int{404, 404, 404, 401, 404}},
		{"ban user", "POST", freshUser("/ban"), nil, change},
		{"unban user", "POST", freshUser("/unban"), nil, change},
		{"delete user", "DELETE", freshUser(""), nil, changed204},
		{"list sessions", "GET", freshUser("/sessions"), nil, read},
		{"revoke user's sessions", "DELETE", freshUser("/sessions"), nil, change},
		{"revoke one session", "DELETE", func(e *adminEnv, _ caller) string {
			user := fresh("user")
			token := e.login(user)
			id := e.do("GET", "/t/acme/me", "", bearer(token)...).str("user", "id")
			return "/admin/api/tenants/acme/users/" + id + "/sessions/" + sessions.IDOf(token)
		}, nil, changed204},
		{"revoke all sessions of the tenant", "POST", fixed("/admin/api/tenants/acme/sessions/revoke-all"), nil, changed204},
	}
}

// TestAdminAccess is the access table of the admin API: every endpoint by
// every kind of caller, with the status expected and, whenever the call is
// refused, nothing changed in MySQL or Redis.
func TestAdminAccess(t *testing.T) {
	runAccessTable(t, newAdminEnv(t), adminCases())
}

// runAccessTable runs an access table: each case by every caller, as
// scenario rows: the status expected and, for every refusal, nothing in
// MySQL or Redis changed.
func runAccessTable(t *testing.T, e *adminEnv, cases []adminCase) {
	t.Helper()
	for _, ac := range cases {
		rows := make([]scenario, 0, nCallers)
		for who := caller(0); who < nCallers; who++ {
			sc := scenario{name: who.String(), method: ac.method, header: adminHeader(e.callers[who]),
				pathFn: func(*env) string { return ac.path(e, who) }, status: ac.want[who], anyDelta: true}
			if ac.body != nil {
				sc.bodyFn = func(*env) string { return ac.body(e, who) }
			}
			rows = append(rows, sc)
		}
		t.Run(ac.name, func(t *testing.T) { runScenarios(t, e.env, scenario{}, rows) })
	}
	e.t = t
}
