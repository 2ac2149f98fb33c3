package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// statusResponse is the body of a health check that passes.
type statusResponse struct {
	Status string `json:"status"`
}

// healthz answers while the process serves.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(statusResponse{Status: "ok"})
}

// readyz answers 200 only when MySQL and Redis answer and the server is not
// shutting down, so a load balancer can take the node out first.
func (s *Server) readyz(c *fiber.Ctx) error {
	select {
	case <-s.draining:
		return &Error{Status: fiber.StatusServiceUnavailable, Code: CodeUnavailable, Message: "shutting down"}
	default:
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.deps.Ready(ctx); err != nil {
		return &Error{Status: fiber.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "a dependency is not answering", cause: err}
	}
	return c.JSON(statusResponse{Status: "ok"})
}
