package api

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"miniauth/tenants"
)

// routes is the whole route table. Each group's middleware is written into
// every route of the group (group.add), so that no route depends on what
// was registered before it; only the two fallbacks at the end come last
// by nature.
func (s *Server) routes() {
	a := s.app
	a.Use(s.clientAddr, s.requestID, s.accessLog, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}), limitBody, s.withTimeout, secureHeaders)
	root := group{r: a}

	root.get("/healthz", s.healthz)
	root.get("/readyz", s.readyz)
	root.get("/openapi.json", s.openAPI()) // docs/openapi.yaml as JSON (openapi.go)
	// No /metrics here: Metrics.Handler is served on its own address.
	root.get("/:file", s.mpVerifyFile)  // official accounts' MP_verify_*.txt; any other name goes on (mpverify.go)
	root.get("/console/*", s.console()) // the embedded console (admin_console.go)

	// Tenant backends, per tenant (backend.go). Introspection lets a
	// disabled tenant through: its backend learns that every token is
	// inactive rather than 403.
	perTenant := root.with("/t/:tenant", s.noteWeChatErrors) // for the console's overview (admin_wxerrors.go)
	perTenant.post("/introspect", s.resolveBackendTenant, s.requireAPIKey, s.introspect)
	perTenant.get("/.well-known/jwks.json", s.resolveTenant, s.jwks)
	perTenant.post("/token", s.resolveTenant, s.cors, s.requireSession, s.token) // CORS: pages ask for access tokens too (web/js)

	// Mini-program and H5 facing, per active tenant; CORS for the tenant's
	// own web origins only (cors.go).
	t := perTenant.with("", s.resolveTenant, s.cors)
	t.options("/*", s.notFound) // CORS preflights (cors answers them)
	t.post("/login", s.limitLogin, s.login)
	t.get("/me", s.requireSession, s.me)
	t.patch("/me", s.requireSession, s.updateMe)
	t.post("/logout", s.requireSessionToRevoke, s.logout) // never rate-limited away
	// Registration and the rest of WeChat login (docs/registration.md).
	t.post("/register", s.limitLogin, s.register)
	t.post("/login/wechat-app", s.limitLogin, s.loginWeChatApp) // the tenant's iOS/Android app (login_wechat_app.go)
	t.get("/me/identities", s.requireSession, s.myIdentities)   // ways in of one account (identities.go)
	t.post("/me/identities", s.requireSession, s.limitLogin, s.linkIdentity)
	t.delete("/me/identities/:id", s.requireSession, s.unlinkIdentity)
	t.post("/me/phone", s.requireSession, s.bindPhone)
	t.post("/me/decrypt", s.requireSession, s.decrypt)
	t.get("/me/session-key", s.requireSession, s.sessionKeyStatus)
	t.post("/me/avatar", s.requireSession, s.uploadAvatar) // own body limit (avatar.go)
	t.get("/avatars/:id", s.avatar)                        // public, immutable
	t.get("/oauth/wechat/start", s.oauthStart)
	t.get("/oauth/wechat/callback", s.limitLogin, s.oauthCallback)
	t.get("/wechat/access-token", s.requireAPIKey, s.wechatAccessToken) // tenant backends (backend.go)
	t.post("/sms/send", s.limitLogin, s.smsSend)                        // SMS one-time codes (sms.go)
	t.post("/login/sms", s.limitLogin, s.loginSMS)
	t.post("/me/phone/sms", s.requireSession, s.bindPhoneSMS)

	// The admin API behind the console (admin*.go). Every route but the
	// sign-in needs a signed-in admin (and the CSRF token to change
	// anything); every tenant's route the tenant, as that admin may see it
	// (adminTenantOf).
	adminAPI := root.with("/admin/api", adminHeaders)
	adminAPI.post("/session", s.adminSignIn)
	adminAPI.post("/session/mfa", s.adminSignInMFA) // admin_signin_mfa.go
	adminAPI.post("/invites/lookup", s.adminLookupInvite)
	adminAPI.post("/invites/accept", s.adminAcceptInvite)
	// Served even while the platform requires MFA set-up of this admin
	// first (requireEnrolled): the session and the set-up (admin_mfa.go).
	signedIn := adminAPI.with("", s.requireAdmin)
	signedIn.get("/session", s.adminSession)
	signedIn.delete("/session", s.adminSignOut)
	signedIn.get("/account", s.adminAccount)
	signedIn.post("/account/mfa/enrol", s.adminBeginEnrol)
	signedIn.post("/account/mfa/confirm", s.adminConfirmEnrol)
	admin := signedIn.with("", s.requireEnrolled)
	admin.post("/account/mfa/recovery-codes", s.adminRegenerateRecoveryCodes)
	admin.post("/account/mfa/disable", s.adminDisableMFA)
	admin.post("/account/password", s.adminChangePassword)
	// Console accounts and platform settings (admin_accounts.go).
	admin.get("/admins", s.requirePlatform, s.adminListAdmins)
	admin.post("/admins", s.requirePlatform, s.adminInviteAdmin)
	admin.delete("/admins/:email", s.requirePlatform, s.adminRemoveAdmin)
	admin.post("/admins/:email/disable", s.requirePlatform, s.adminSetAdminStatus(true))
	admin.post("/admins/:email/enable", s.requirePlatform, s.adminSetAdminStatus(false))
	admin.post("/admins/:email/invite", s.requirePlatform, s.adminReissueInvite)
	admin.delete("/admins/:email/mfa", s.requirePlatform, s.adminResetMFA)
	admin.get("/platform/settings", s.requirePlatform, s.adminPlatformSettings)
	admin.patch("/platform/settings", s.requirePlatform, s.adminUpdatePlatformSettings)
	admin.get("/tenants", s.adminListTenants)
	admin.post("/tenants", s.requirePlatform, s.adminCreateTenant)
	admin.get("/audit", s.requirePlatform, s.adminPlatformAudit)
	admin.get("/audit/export", s.requirePlatform, s.adminPlatformAuditCSV) // admin_audit_export.go
	admin.get("/usage", s.requirePlatform, s.adminPlatformUsage)           // charts of use (usage.go)

	at := admin.with("/tenants/:tenant", s.loadAdminTenant)
	at.get("", s.adminGetTenant)
	at.patch("", s.adminUpdateTenant)
	at.delete("", s.requirePlatform, s.adminDeleteTenant)
	at.post("/disable", s.requirePlatform, s.adminSetTenantStatus(tenants.StatusDisabled))
	at.post("/enable", s.requirePlatform, s.adminSetTenantStatus(tenants.StatusActive))
	at.get("/overview", s.adminOverview)
	at.get("/audit", s.adminTenantAudit)
	at.get("/audit/export", s.adminTenantAuditCSV) // admin_audit_export.go
	at.get("/usage", s.adminTenantUsage)

	at.get("/admins", s.adminListTenantAdmins)
	at.post("/admins", s.requirePlatform, s.adminCreateTenantAdmin)
	at.delete("/admins/:email", s.requirePlatform, s.adminDeleteTenantAdmin)

	at.get("/apps", s.adminListApps)
	at.post("/apps", s.adminAddApp)
	at.put("/apps/:appid/secret", s.adminRotateSecret)
	at.post("/apps/:appid/default", s.adminDefaultApp)
	at.post("/apps/:appid/test", s.adminTestApp)
	at.delete("/apps/:appid", s.adminRemoveApp)
	at.post("/official-accounts", s.adminAddOfficialAccount) // admin_registration.go
	at.get("/web", s.adminGetWeb)
	at.put("/web", s.adminSetWeb)
	at.get("/mp-verify", s.adminListVerifyFiles) // mpverify.go
	at.get("/mp-verify/:name", s.adminGetVerifyFile)
	at.put("/mp-verify/:name", s.adminPutVerifyFile)
	at.delete("/mp-verify/:name", s.adminDeleteVerifyFile)
	at.get("/sms", s.adminGetSMS) // admin_sms.go
	at.put("/sms", s.adminPutSMS)
	at.delete("/sms", s.adminDeleteSMS)
	at.post("/sms/test", s.adminTestSMS)

	at.get("/users", s.adminListUsers)
	at.post("/users/import", s.adminImportUsers) // admin_registration.go
	at.get("/users/export", s.adminExportUsers)  // admin_user_data.go
	at.get("/users/:user", s.adminGetUser)
	at.delete("/users/:user", s.adminDeleteUser)
	at.post("/users/:user/ban", s.adminBanUser(true))
	at.post("/users/:user/unban", s.adminBanUser(false))
	at.get("/users/:user/logins", s.adminUserLogins) // admin_user_data.go
	at.get("/users/:user/sessions", s.adminUserSessions)
	at.delete("/users/:user/sessions", s.adminRevokeUserSessions)
	at.delete("/users/:user/sessions/:session", s.adminRevokeSession)
	at.post("/sessions/revoke-all", s.adminRevokeTenantSessions)
	at.get("/sessions", s.adminListSessions) // admin_sessions.go

	// Tenant backends' configuration (admin_backends.go).
	at.get("/api-keys", s.adminListAPIKeys)
	at.post("/api-keys", s.adminCreateAPIKey)
	at.delete("/api-keys/:id", s.adminRevokeAPIKey)
	at.get("/signing-keys", s.adminListSigningKeys)
	at.post("/signing-keys/rotate", s.adminRotateSigningKey)
	at.get("/webhooks", s.adminListWebhooks)
	at.post("/webhooks", s.adminCreateWebhook)
	at.get("/webhooks/:id", s.adminGetWebhook)
	at.patch("/webhooks/:id", s.adminUpdateWebhook)
	at.delete("/webhooks/:id", s.adminDeleteWebhook)
	at.post("/webhooks/:id/rotate-secret", s.adminRotateWebhookSecret)
	at.post("/webhooks/:id/ping", s.adminPingWebhook) // admin_webhook_ping.go
	at.get("/webhook-deliveries", s.adminListDeliveries)
	at.get("/webhook-deliveries/:id", s.adminGetDelivery)
	at.post("/webhook-deliveries/:id/replay", s.adminReplayDelivery)

	a.Use(s.notFound) // whatever no route answered
}

// group is routes under one path prefix that share the middleware in
// front of each route's own handlers. Unlike a Fiber group's middleware,
// which is mounted by prefix and runs for whatever is registered after
// it, this middleware is part of each route's own chain.
type group struct {
	r      fiber.Router
	prefix string
	mw     []fiber.Handler
}

// with is a group below g: prefix appended, mw run after g's.
func (g group) with(prefix string, mw ...fiber.Handler) group {
	return group{r: g.r, prefix: g.prefix + prefix, mw: append(slices.Clip(g.mw), mw...)}
}

func (g group) add(method, path string, h []fiber.Handler) {
	g.r.Add(method, g.prefix+path, append(slices.Clip(g.mw), h...)...)
}

func (g group) get(path string, h ...fiber.Handler) { // and HEAD, as Fiber's Get
	g.r.Get(g.prefix+path, append(slices.Clip(g.mw), h...)...)
}
func (g group) post(path string, h ...fiber.Handler)    { g.add(fiber.MethodPost, path, h) }
func (g group) put(path string, h ...fiber.Handler)     { g.add(fiber.MethodPut, path, h) }
func (g group) patch(path string, h ...fiber.Handler)   { g.add(fiber.MethodPatch, path, h) }
func (g group) delete(path string, h ...fiber.Handler)  { g.add(fiber.MethodDelete, path, h) }
func (g group) options(path string, h ...fiber.Handler) { g.add(fiber.MethodOptions, path, h) }
