package api

import "github.com/gofiber/fiber/v2/middleware/recover"

// routes is the whole route table. Each area registers its own routes in
// its file; this function only says where they hang.
func (s *Server) routes() {
	a := s.app
	a.Use(s.requestID, s.accessLog, recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}), limitBody, s.withTimeout, secureHeaders)

	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	if s.deps.Metrics != nil {
		a.Get("/metrics", s.deps.Metrics.handler())
	}

	// Mini-program and tenant-backend facing, per tenant.
	a.Use("/t", s.noteWeChatErrors) // for the console's overview (admin_wxerrors.go)
	t := a.Group("/t/:tenant", s.resolveTenant)
	t.Post("/login", s.limitLogin, s.login)
	t.Get("/me", s.requireSession, s.me)
	t.Patch("/me", s.requireSession, s.updateMe)
	t.Post("/logout", s.requireSession, s.logout)

	s.adminRoutes(a) // admin API at /admin/api/, console at /console/ (admin.go)

	a.Use(s.notFound)
}
