package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"miniauth/api"
	"miniauth/tenants/admins"
)

// totpCode is the authenticator's code of secret at now (RFC 6238 as the
// server runs it: SHA-1, 6 digits, 30 s).
func totpCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolMFA sets MFA up for client c through the API and returns the
// secret and the recovery codes. The clock then moves to the next time
// step, so that the next code is not the one just used.
func (e *adminEnv) enrolMFA(c adminClient) (secret string, codes []string) {
	e.t.Helper()
	r := e.as(c, "POST", "/admin/api/account/mfa/enrol", "")
	if r.Status != 200 {
		e.t.Fatalf("enrol: %d %s", r.Status, r.Raw)
	}
	secret = r.str("secret")
	r = e.as(c, "POST", "/admin/api/account/mfa/confirm", `{"code":"`+totpCode(e.t, secret, e.clock.Now())+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("confirm: %d %s", r.Status, r.Raw)
	}
	for _, x := range r.list("recovery_codes") {
		codes = append(codes, get[string](e.t, x))
	}
	e.clock.Add(30 * time.Second)
	return secret, codes
}

// mfaToken signs in with email and the password and returns the MFA token
// of the second step.
func (e *adminEnv) mfaToken(email string) string {
	e.t.Helper()
	r := e.do("POST", "/admin/api/session", signInBody(email, adminPassword))
	if r.Status != 200 || r.Body["mfa_required"] != true || r.Body["csrf_token"] != nil || len(r.Header["Set-Cookie"]) > 0 {
		e.t.Fatalf("password step of an admin with MFA: %d %v %s", r.Status, r.Header["Set-Cookie"], r.Raw)
	}
	return r.str("mfa_token")
}

func mfaBody(token, code string) string {
	return fmt.Sprintf(`{"mfa_token":%q,"code":%q}`, token, code)
}

// TestAdminMFA: set-up (QR code, secret, first code, recovery codes shown
// once), sign-in in two steps with a TOTP code or a recovery code, the
// refusals (wrong, reused, replayed codes; a used recovery code; a made-up
// token), new recovery codes, and turning MFA off.
func TestAdminMFA(t *testing.T) {
	e := newAdminEnv(t)
	c := e.callers[own]
	cookie := []string{"Cookie", "miniauth_admin=" + c.cookie, "X-CSRF-Token", c.csrf}
	var secret, firstCode string
	var recovery []string
	runScenarios(t, e.env, scenario{header: cookie}, []scenario{
		{name: "account before set-up", method: "GET", path: "/admin/api/account", status: 200,
			check: func(t *testing.T, r response) {
				if r.obj("mfa")["enabled"] != false || r.obj("admin")["email"] != acmeEmail {
					t.Fatalf("account: %s", r.Raw)
				}
			}},
		{name: "confirm before set-up", path: "/admin/api/account/mfa/confirm", body: `{"code":"123456"}`, status: 409, code: "mfa_enrolment_expired"},
		{name: "set-up without CSRF", path: "/admin/api/account/mfa/enrol", header: cookie[:2], status: 403, code: "csrf_failed"},
		{name: "set-up", path: "/admin/api/account/mfa/enrol", status: 200, check: func(t *testing.T, r response) {
			secret = r.str("secret")
			u, err := url.Parse(r.str("otpauth_url"))
			if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret ||
				!strings.Contains(u.Path, acmeEmail) {
				t.Fatalf("otpauth URL %q: %v", r.str("otpauth_url"), err)
			}
			data, ok := strings.CutPrefix(r.str("qr_code"), "data:image/png;base64,")
			raw, err := base64.StdEncoding.DecodeString(data)
			if !ok || err != nil {
				t.Fatalf("qr_code is no PNG data URL: %.40s…", r.str("qr_code"))
			}
			if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 200 {
				t.Fatalf("qr_code: %v", err)
			}
		}},
		{name: "confirm, no code", path: "/admin/api/account/mfa/confirm", body: `{}`, status: 400, code: "invalid_request"},
		{name: "confirm, wrong code", path: "/admin/api/account/mfa/confirm", body: `{"code":"000000"}`, status: 400, code: "invalid_mfa_code"},
		{name: "confirm", path: "/admin/api/account/mfa/confirm",
			bodyFn: func(*env) string {
				firstCode = totpCode(t, secret, e.clock.Now())
				return `{"code":"` + firstCode + `"}`
			},
			status: 200, audit: []string{"admin.mfa_enabled"}, check: func(t *testing.T, r response) {
				for _, x := range r.list("recovery_codes") {
					recovery = append(recovery, get[string](t, x))
				}
				if len(recovery) != 10 {
					t.Fatalf("%d recovery codes", len(recovery))
				}
			}},
		{name: "set-up again", path: "/admin/api/account/mfa/enrol", status: 409, code: "mfa_already_enabled"},
		{name: "account with MFA", method: "GET", path: "/admin/api/account", status: 200, check: func(t *testing.T, r response) {
			if r.obj("mfa")["enabled"] != true || r.num("mfa", "recovery_codes_left") != 10 {
				t.Fatalf("account: %s", r.Raw)
			}
		}},
	})

	// Signing in: the password gives an MFA token, not a session.
	token := e.mfaToken(acmeEmail)
	var signedIn adminClient
	runStory(t, e.env, scenario{path: "/admin/api/session/mfa"}, []scenario{
		{name: "no code", body: `{"mfa_token":"` + token + `"}`, status: 400, code: "invalid_request"},
		{name: "wrong code", body: mfaBody(token, "000000"), status: 401, code: "invalid_mfa_code",
			changes: true, audit: []string{"admin.mfa_failed"}},
		{name: "the code used to confirm, same step", bodyFn: func(*env) string { return mfaBody(token, firstCode) }, status: 401, code: "invalid_mfa_code",
			changes: true, audit: []string{"admin.mfa_failed"}},
		{name: "made-up token", bodyFn: func(*env) string { return mfaBody(strings.Repeat("A", 43), totpCode(t, secret, e.clock.Now())) }, status: 401, code: "invalid_mfa_token"},
		{name: "next step's code",
			bodyFn: func(*env) string {
				e.clock.Add(30 * time.Second)
				return mfaBody(token, totpCode(t, secret, e.clock.Now()))
			}, status: 200, audit: []string{"admin.signed_in"},
			check: func(t *testing.T, r response) {
				signedIn = adminClient{cookie: sessionCookie(t, r), csrf: r.str("csrf_token")}
			}},
		{name: "the session after MFA", method: "GET", path: "/admin/api/session",
			headerFn: func(*env) []string { return adminHeader(signedIn) }, status: 200, check: func(t *testing.T, r response) {
				if r.str("admin", "email") != acmeEmail {
					t.Fatalf("session after MFA: %s", r.Raw)
				}
			}},
		{name: "the token again", bodyFn: func(*env) string { return mfaBody(token, totpCode(t, secret, e.clock.Now())) }, status: 401, code: "invalid_mfa_token"},
		{name: "the code again, new token", bodyFn: func(*env) string { return mfaBody(e.mfaToken(acmeEmail), totpCode(t, secret, e.clock.Now())) },
			status: 401, code: "invalid_mfa_code", changes: true, audit: []string{"admin.mfa_failed"}},
		{name: "a recovery code, upper case, no hyphens", bodyFn: func(*env) string {
			return mfaBody(e.mfaToken(acmeEmail), strings.ToUpper(strings.ReplaceAll(recovery[0], "-", "")))
		}, status: 200, audit: []string{"admin.mfa_recovery_code_used", "admin.signed_in"}},
		{name: "the recovery code again", bodyFn: func(*env) string { return mfaBody(e.mfaToken(acmeEmail), recovery[0]) }, status: 401, code: "invalid_mfa_code",
			changes: true, audit: []string{"admin.mfa_failed"}},
	})
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.mfa_recovery_code_used' AND target_id = ? AND JSON_VALUE(details, '$.left') = 9`, acmeEmail); n != 1 {
		t.Fatalf("%d recovery code uses audited with 9 left, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.signed_in' AND target_id = ? AND JSON_VALUE(details, '$.mfa') = 'totp'`, acmeEmail); n != 1 {
		t.Fatalf("%d sign-ins with a TOTP code audited, want 1", n)
	}

	// New recovery codes need a current code; the old ones die.
	e.clock.Add(30 * time.Second)
	var fresh []string
	runStory(t, e.env, scenario{header: cookie}, []scenario{
		{name: "new recovery codes, no code", path: "/admin/api/account/mfa/recovery-codes", body: `{}`, status: 400, code: "invalid_request"},
		{name: "new recovery codes, the password", path: "/admin/api/account/mfa/recovery-codes", body: `{"password":"` + adminPassword + `"}`, status: 400, code: "invalid_request"},
		{name: "new recovery codes", path: "/admin/api/account/mfa/recovery-codes",
			bodyFn: func(*env) string { return `{"code":"` + totpCode(t, secret, e.clock.Now()) + `"}` }, status: 200,
			audit: []string{"admin.mfa_recovery_codes_regenerated"},
			check: func(t *testing.T, r response) {
				for _, x := range r.list("recovery_codes") {
					fresh = append(fresh, get[string](t, x))
				}
				if len(fresh) == 0 {
					t.Fatalf("no recovery codes: %s", r.Raw)
				}
			}},
		{name: "an old recovery code", path: "/admin/api/session/mfa", header: []string{},
			bodyFn: func(*env) string { return mfaBody(e.mfaToken(acmeEmail), recovery[1]) }, status: 401, code: "invalid_mfa_code",
			changes: true, audit: []string{"admin.mfa_failed"}},
		{name: "a new recovery code", path: "/admin/api/session/mfa", header: []string{},
			bodyFn: func(*env) string { return mfaBody(e.mfaToken(acmeEmail), fresh[0]) }, status: 200,
			audit: []string{"admin.mfa_recovery_code_used", "admin.signed_in"}},
		{name: "off, nothing given", path: "/admin/api/account/mfa/disable", body: `{}`, status: 400, code: "invalid_request"},
		{name: "off, code and password", path: "/admin/api/account/mfa/disable", body: `{"code":"123456","password":"` + adminPassword + `"}`, status: 400, code: "invalid_request"},
		{name: "off, wrong password", path: "/admin/api/account/mfa/disable", body: `{"password":"not the password"}`, status: 403, code: "wrong_password"},
		{name: "off, wrong code", path: "/admin/api/account/mfa/disable", body: `{"code":"000000"}`, status: 400, code: "invalid_mfa_code"},
		{name: "off, the password", path: "/admin/api/account/mfa/disable", body: `{"password":"` + adminPassword + `"}`, status: 204,
			audit: []string{"admin.mfa_disabled"}},
		{name: "off again", path: "/admin/api/account/mfa/disable", body: `{"password":"` + adminPassword + `"}`, status: 409, code: "mfa_not_enabled"},
		{name: "sign-in after MFA is off", path: "/admin/api/session", header: []string{}, body: signInBody(acmeEmail, adminPassword), status: 200,
			audit: []string{"admin.signed_in"}, check: func(t *testing.T, r response) {
				if r.str("csrf_token") == "" {
					t.Fatalf("sign-in after MFA is off: %s", r.Raw)
				}
			}},
	})
	for _, action := range []string{"admin.mfa_enabled", "admin.mfa_recovery_codes_regenerated", "admin.mfa_disabled"} {
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND target_id = ?`, action, acmeEmail); n != 1 {
			t.Fatalf("%s audited %d times, want 1", action, n)
		}
	}
	// Nothing the admin was shown is in the audit log.
	var rows []string
	if err := e.db.Select(&rows, `SELECT CONCAT_WS('|', action, COALESCE(details, '')) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if strings.Contains(row, secret) || strings.Contains(row, recovery[2]) || strings.Contains(row, token) {
			t.Fatalf("the audit log holds a secret: %q", row)
		}
	}
}

// TestAdminMFALockout: wrong codes count in the same lockout as wrong
// passwords, the right password alone does not clear the count, and once
// locked the right code and the right password are refused alike.
func TestAdminMFALockout(t *testing.T) {
	const lockAt = 3
	e := newTunedAdminEnv(t, func(_ *api.Base, s *api.Settings) {
		s.AdminLockout = admins.LockoutPolicy{Window: time.Hour, AccountSlow: lockAt, AccountLock: lockAt,
			IPSlow: 100, IPLock: 100, LockFor: 10 * time.Minute, MaxSlow: time.Minute}
	})
	secret, _ := e.enrolMFA(e.callers[own])
	var token string
	steps := []scenario{
		{name: "wrong password", path: "/admin/api/session", body: signInBody(acmeEmail, "wrong password!"), status: 401, code: "invalid_credentials",
			changes: true, audit: []string{"admin.signin_failed"}},
	}
	for i := 2; i <= lockAt; i++ {
		sc := scenario{name: fmt.Sprintf("wrong code, failure %d", i), bodyFn: func(*env) string { return mfaBody(token, "000000") },
			status: 401, code: "invalid_mfa_code", changes: true, audit: []string{"admin.mfa_failed"}}
		if i == 2 {
			sc.bodyFn = func(*env) string {
				token = e.mfaToken(acmeEmail) // right password: the failure above still counts
				return mfaBody(token, "000000")
			}
		}
		if i == lockAt {
			sc.audit = append(sc.audit, "admin.locked_out")
		}
		steps = append(steps, sc)
	}
	steps = append(steps,
		scenario{name: "right code while locked", bodyFn: func(*env) string { return mfaBody(token, totpCode(t, secret, e.clock.Now())) },
			status: 429, code: "rate_limited", check: func(t *testing.T, r response) {
				if r.Header.Get("Retry-After") == "" {
					t.Fatalf("no Retry-After: %v", r.Header)
				}
			}},
		scenario{name: "right password while locked", path: "/admin/api/session", body: signInBody(acmeEmail, adminPassword),
			status: 429, code: "rate_limited"},
	)
	runStory(t, e.env, scenario{path: "/admin/api/session/mfa"}, steps)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.locked_out' AND target_id = ?`, acmeEmail); n != 1 {
		t.Fatalf("%d lockouts audited, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'admin.mfa_failed' AND target_id = ?`, acmeEmail); n != lockAt-1 {
		t.Fatalf("%d wrong codes audited, want %d", n, lockAt-1)
	}
}

// TestAdminRequireMFA: with the platform setting on, a platform admin
// without MFA is served nothing but MFA set-up until it is done; tenant
// admins are not concerned; only platform admins change the setting.
func TestAdminRequireMFA(t *testing.T) {
	e := newAdminEnv(t)
	p, ta := e.callers[platform], e.callers[own]
	pHeader := func(*env) []string { return adminHeader(p) }
	const settings = "/admin/api/platform/settings"
	steps := []scenario{
		{name: "a tenant admin changes the setting", method: "PATCH", path: settings, header: adminHeader(ta),
			body: `{"require_mfa_for_platform_admins":true}`, status: 403, code: "forbidden"},
		{name: "no value", method: "PATCH", path: settings, headerFn: pHeader, body: `{}`, status: 400, code: "invalid_request"},
		{name: "turn on", method: "PATCH", path: settings, headerFn: pHeader, body: `{"require_mfa_for_platform_admins":true}`, status: 200,
			audit: []string{"platform.setting_changed"}, check: func(t *testing.T, r response) {
				if r.Body["require_mfa_for_platform_admins"] != true {
					t.Fatalf("turn on: %s", r.Raw)
				}
			}},
		{name: "session", method: "GET", path: "/admin/api/session", headerFn: pHeader, status: 200, check: func(t *testing.T, r response) {
			if r.Body["mfa_enrolment_required"] != true {
				t.Fatalf("session: %s", r.Raw)
			}
		}},
	}
	for _, path := range []string{"/admin/api/tenants", "/admin/api/admins", settings, "/admin/api/tenants/acme/users"} {
		steps = append(steps, scenario{name: "GET " + path + " before set-up", method: "GET", path: path, headerFn: pHeader,
			status: 401, code: "mfa_enrolment_required"})
	}
	steps = append(steps,
		// A fresh sign-in says so too; a tenant admin is not concerned.
		scenario{name: "sign-in", path: "/admin/api/session", header: []string{}, body: signInBody(platformEmail, adminPassword), status: 200,
			audit: []string{"admin.signed_in"}, check: func(t *testing.T, r response) {
				if r.Body["mfa_enrolment_required"] != true {
					t.Fatalf("sign-in: %s", r.Raw)
				}
				p = adminClient{cookie: sessionCookie(t, r), csrf: r.str("csrf_token")}
			}},
		scenario{name: "tenant admin", method: "GET", path: "/admin/api/tenants/acme", header: adminHeader(ta), status: 200},
		scenario{name: "after set-up", method: "GET", path: "/admin/api/tenants", headerFn: pHeader, status: 200,
			before: func(*env) { e.enrolMFA(p) }},
		scenario{name: "session after set-up", method: "GET", path: "/admin/api/session", headerFn: pHeader, status: 200,
			check: func(t *testing.T, r response) {
				if r.Body["mfa_enrolment_required"] != false {
					t.Fatalf("session after set-up: %s", r.Raw)
				}
			}},
	)
	runStory(t, e.env, scenario{}, steps)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'platform.setting_changed'`); n != 1 {
		t.Fatalf("%d setting changes audited, want 1", n)
	}
}
