package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	headerRequestID = "X-Request-Id"
	localRequestID  = "request_id"
	localTenant     = "tenant"
	localSession    = "session"
	localUser       = "user"
	localErrorCode  = "error_code"
)

// requestID takes a sane X-Request-Id from the caller or makes one, and
// echoes it back.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !saneRequestID(id) {
		id = newRequestID()
	} else {
		id = string([]byte(id)) // fasthttp reuses the header's memory
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// requestIDOf returns the request's id, making one for errors that happen
// before the middleware ran (an oversized body, say).
func requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	id := newRequestID()
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// accessLog writes one structured line per request. It logs the route
// pattern, never the path's query, headers or body: those carry tokens.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Write the error response now so that the status logged is the one sent.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	s.deps.Metrics.observe(c, c.Route().Path, status, time.Since(start))
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	ctx := c.UserContext()
	if !s.access.Enabled(ctx, level) {
		return nil
	}
	// The line skips the redactor: the method is one of Fiber's list (it
	// answers 400 to any other before a handler runs), the address is
	// parsed, the request id is ours, and the two values a client can shape
	// (the route, which is the path itself when nothing matched, and the
	// tenant's slug as typed) are scrubbed here. A record made with no
	// caller (pc 0) also spares runtime.Callers. The line is what the
	// logger would write otherwise.
	rec := slog.NewRecord(time.Now(), level, "request", 0)
	rec.AddAttrs(
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", c.Method()),
		slog.String("route", scrub(c.Route().Path)),
		slog.String("tenant", scrub(tenantSlug(c))),
		slog.Int("status", status),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("ip", clientIP(c)),
	)
	_ = s.access.Handle(ctx, rec)
	return nil
}

// limitBody refuses bodies over BodyLimit with 413; avatar uploads alone
// may send up to AvatarBodyLimit.
func limitBody(c *fiber.Ctx) error {
	n := len(c.Request().Body())
	if n > BodyLimit && isAvatarUpload(c) {
		if n > AvatarBodyLimit {
			return errAvatarTooLarge
		}
		return c.Next()
	}
	if n > BodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}

// withTimeout gives every request a deadline, so that nothing downstream
// can hold it forever.
func (s *Server) withTimeout(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.deps.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", requestIDOf(c), "route", c.Route().Path, "panic", fmt.Sprint(e))
}

func secureHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Cache-Control", "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Next()
}

func (s *Server) notFound(c *fiber.Ctx) error {
	// A browser opening the bare host wants the console; API clients (no
	// text/html in Accept) still get the JSON 404.
	if c.Path() == "/" && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) &&
		strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		return c.Redirect("/console/", fiber.StatusFound)
	}
	return fiber.ErrNotFound
}

// handleError writes the error envelope. The cause goes to the log, never
// to the client.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := classify(err)
	c.Locals(localErrorCode, e.Code)
	if e.Status >= 500 || e.cause != nil {
		s.log.Warn("request failed",
			"request_id", requestIDOf(c), "route", c.Route().Path, "tenant", tenantSlug(c),
			"code", e.Code, "status", e.Status, "err", e.Error())
	}
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(e.RetryAfter))
	}
	return c.Status(e.Status).JSON(errorEnvelope{Error: errorJSON{Code: e.Code, Message: e.Message, RequestID: requestIDOf(c)}})
}

// errorEnvelope is every error's body (DESIGN §5).
type errorEnvelope struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}
