package api

import "github.com/gofiber/fiber/v2"

// adminPingWebhook sends the endpoint a "ping" event: a real delivery,
// signed with its secret, that the deliveries list shows like any other.
// 201 with the queued delivery; the worker sends it at once.
func (s *Server) adminPingWebhook(c *fiber.Ctx) error {
	tid, ep, err := s.adminWebhook(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Webhooks.Ping(c.UserContext(), tid, ep.ID, adminActor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(deliveryResponse{Delivery: d})
}
