package api

import "github.com/gofiber/fiber/v2/middleware/recover"

// routes is the whole route table. Each area registers its own routes in
// its file; this function only says where they hang.
func (s *Server) routes() {
	a := s.app
	a.Use(s.clientAddr, s.requestID, s.accessLog, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}), limitBody, s.withTimeout, secureHeaders)

	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/openapi.json", s.openAPI()) // docs/openapi.yaml as JSON (openapi.go)
	// No /metrics here: Metrics.Handler is served on its own address.

	// Mini-program and tenant-backend facing, per tenant.
	a.Use("/t", s.noteWeChatErrors) // for the console's overview (admin_wxerrors.go)
	s.backendRoutes(a)              // introspection, JWKS, access tokens: ahead of the group (backend.go)
	t := a.Group("/t/:tenant", s.resolveTenant)
	t.Use(s.cors) // the tenant's own web origins only (cors.go)
	t.Post("/login", s.limitLogin, s.login)
	t.Get("/me", s.requireSession, s.me)
	t.Patch("/me", s.requireSession, s.updateMe)
	t.Post("/logout", s.requireSessionToRevoke, s.logout) // never rate-limited away

	// Registration and the rest of WeChat login (docs/registration.md).
	t.Post("/register", s.limitLogin, s.register)
	t.Post("/me/phone", s.requireSession, s.bindPhone)
	t.Post("/me/decrypt", s.requireSession, s.decrypt)
	t.Get("/me/session-key", s.requireSession, s.sessionKeyStatus)
	t.Post("/me/avatar", s.requireSession, s.uploadAvatar) // own body limit (avatar.go)
	t.Get("/avatars/:id", s.avatar)                        // public, immutable
	t.Get("/oauth/wechat/start", s.oauthStart)
	t.Get("/oauth/wechat/callback", s.limitLogin, s.oauthCallback)
	t.Get("/wechat/access-token", s.requireAPIKey, s.wechatAccessToken) // tenant backends (backend.go)

	s.adminRoutes(a)             // admin API at /admin/api/, console at /console/ (admin.go)
	s.adminBackendRoutes(a)      // API keys, signing keys, webhooks (admin_backends.go)
	s.registrationAdminRoutes(a) // user import, web origins, official accounts (admin_registration.go)
	s.mpVerifyAdminRoutes(a)     // official accounts' MP_verify_*.txt (mpverify.go)

	a.Get("/:file", s.mpVerifyFile) // official accounts' MP_verify_*.txt (mpverify.go)
	a.Use(s.notFound)
}
