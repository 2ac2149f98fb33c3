package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/apikeys"
	"miniauth/tenants/sessions"
	"miniauth/tenants/webhooks"
)

// The admin API of tenant backends: API keys, JWT signing keys, webhooks
// and their deliveries, below /admin/api/tenants/:tenant (routes.go).

// idParam is a positive integer path parameter, or 404 for anything else.
func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFoundHere
	}
	return id, nil
}

var errNotFoundHere = &Error{Status: fiber.StatusNotFound, Code: CodeNotFound, Message: "no such item"}

// --- API keys

func (s *Server) adminListAPIKeys(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	keys, err := s.deps.APIKeys.List(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(apiKeysResponse{APIKeys: keys})
}

type createAPIKeyRequest struct {
	Name string `json:"name"`
}

// adminCreateAPIKey answers with the key in clear: the only time anyone
// sees it.
func (s *Server) adminCreateAPIKey(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	var req createAPIKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	secret, k, err := s.deps.APIKeys.Create(c.UserContext(), t.ID, req.Name, adminActor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createAPIKeyResponse{APIKey: k, Key: secret})
}

func (s *Server) adminRevokeAPIKey(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.APIKeys.Revoke(c.UserContext(), t.ID, id, adminActor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// --- signing keys

type signingKeyJSON struct {
	KID         string     `json:"kid"`
	Alg         string     `json:"alg"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	RetireAfter *time.Time `json:"retire_after,omitempty"`
}

func (s *Server) adminListSigningKeys(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	keys, err := s.deps.AccessTokens.Keys().Published(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	out := make([]signingKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, signingKeyJSON{KID: k.KID, Alg: k.Alg, State: k.State, CreatedAt: k.CreatedAt,
			ActivatedAt: k.ActivatedAt, RetiredAt: k.RetiredAt, RetireAfter: k.RetireAfter})
	}
	resp := signingKeysResponse{SigningKeys: out, JWKSURI: s.issuer(t) + "/.well-known/jwks.json"}
	if at := s.deps.AccessTokens.Keys().RotateAfter(keys); !at.IsZero() {
		at = at.UTC()
		resp.RotateAfter = &at
	}
	return c.JSON(resp)
}

type rotateRequest struct {
	Alg string `json:"alg"` // of the new next key; "" keeps the algorithm
	// Emergency retires the current key at once, for a leaked key: tokens
	// it signed stop verifying now (sessions.RotateEmergency).
	Emergency bool `json:"emergency"`
}

func (s *Server) adminRotateSigningKey(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	var req rotateRequest
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	keys := s.deps.AccessTokens.Keys()
	if req.Emergency {
		if req.Alg != "" {
			return badRequest("an emergency rotation keeps the algorithm: leave alg out")
		}
		rot, err := keys.RotateEmergency(c.UserContext(), t.ID, adminActor(c))
		if err != nil {
			return err
		}
		return c.JSON(rotationResponse{Rotation: rot})
	}
	rot, err := keys.Rotate(c.UserContext(), t.ID, req.Alg, adminActor(c))
	if err != nil {
		return err
	}
	return c.JSON(rotationResponse{Rotation: rot})
}

// --- webhooks

type webhookRequest struct {
	URL         *string  `json:"url"`
	Description *string  `json:"description"`
	Events      []string `json:"events"`
	Status      string   `json:"status"`
}

// input applies the request onto an endpoint's current settings (PATCH),
// or onto nothing (POST).
func (r *webhookRequest) input(cur *webhooks.Endpoint) webhooks.EndpointInput {
	in := webhooks.EndpointInput{Events: r.Events, Status: r.Status}
	if cur != nil {
		in.URL, in.Description = cur.URL, cur.Description
		if in.Events == nil {
			in.Events = cur.Events()
		}
	}
	if r.URL != nil {
		in.URL = *r.URL
	}
	if r.Description != nil {
		in.Description = *r.Description
	}
	return in
}

type webhookJSON struct {
	*webhooks.Endpoint
	Events []string `json:"events"`
}

func newWebhookJSON(e *webhooks.Endpoint) webhookJSON { return webhookJSON{e, e.Events()} }

func (s *Server) adminListWebhooks(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	list, err := s.deps.Webhooks.Endpoints(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, 0, len(list))
	for i := range list {
		out = append(out, newWebhookJSON(&list[i]))
	}
	return c.JSON(webhooksResponse{Webhooks: out, EventTypes: webhooks.Types})
}

// adminCreateWebhook answers with the signing secret in clear, this once.
func (s *Server) adminCreateWebhook(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ep, secret, err := s.deps.Webhooks.CreateEndpoint(c.UserContext(), t.ID, req.input(nil), adminActor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(webhookResponse{Webhook: newWebhookJSON(ep), Secret: secret})
}

func (s *Server) adminWebhook(c *fiber.Ctx) (int64, *webhooks.Endpoint, error) {
	t := adminTenantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ep, err := s.deps.Webhooks.Endpoint(c.UserContext(), t.ID, id)
	return t.ID, ep, err
}

func (s *Server) adminGetWebhook(c *fiber.Ctx) error {
	_, ep, err := s.adminWebhook(c)
	if err != nil {
		return err
	}
	return c.JSON(webhookResponse{Webhook: newWebhookJSON(ep)})
}

func (s *Server) adminUpdateWebhook(c *fiber.Ctx) error {
	tid, ep, err := s.adminWebhook(c)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ep, err = s.deps.Webhooks.UpdateEndpoint(c.UserContext(), tid, ep.ID, req.input(ep), adminActor(c))
	if err != nil {
		return err
	}
	return c.JSON(webhookResponse{Webhook: newWebhookJSON(ep)})
}

func (s *Server) adminDeleteWebhook(c *fiber.Ctx) error {
	tid, ep, err := s.adminWebhook(c)
	if err != nil {
		return err
	}
	if err := s.deps.Webhooks.DeleteEndpoint(c.UserContext(), tid, ep.ID, adminActor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminRotateWebhookSecret(c *fiber.Ctx) error {
	tid, ep, err := s.adminWebhook(c)
	if err != nil {
		return err
	}
	secret, err := s.deps.Webhooks.RotateSecret(c.UserContext(), tid, ep.ID, adminActor(c))
	if err != nil {
		return err
	}
	return c.JSON(secretResponse{Secret: secret})
}

// adminListDeliveries lists deliveries with the endpoint's last answer;
// ?webhook=, ?status= and ?before= (a delivery id, for the next page) narrow it.
func (s *Server) adminListDeliveries(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	q := webhooks.DeliveryQuery{Status: c.Query("status"), Limit: c.QueryInt("limit", 50)}
	for name, dst := range map[string]*int64{"webhook": &q.EndpointID, "before": &q.Before} {
		if v := c.Query(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return badRequest(name + " must be a positive integer")
			}
			*dst = n
		}
	}
	list, err := s.deps.Webhooks.Deliveries(c.UserContext(), t.ID, q)
	if err != nil {
		return err
	}
	return c.JSON(deliveriesResponse{Deliveries: list})
}

func (s *Server) adminGetDelivery(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Webhooks.Delivery(c.UserContext(), t.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(deliveryResponse{Delivery: d})
}

func (s *Server) adminReplayDelivery(c *fiber.Ctx) error {
	t := adminTenantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.deps.Webhooks.Replay(c.UserContext(), t.ID, id, adminActor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(deliveryResponse{Delivery: d})
}

// Response bodies of the handlers above.

type apiKeysResponse struct {
	APIKeys []apikeys.Key `json:"api_keys"`
}

// createAPIKeyResponse carries the new key in clear, the only time it is
// shown.
type createAPIKeyResponse struct {
	APIKey *apikeys.Key `json:"api_key"`
	Key    string       `json:"key"`
}

type signingKeysResponse struct {
	SigningKeys []signingKeyJSON `json:"signing_keys"`
	JWKSURI     string           `json:"jwks_uri"`
	// RotateAfter: an ordinary rotation is refused until then (the next
	// key is too new); absent when it may rotate now.
	RotateAfter *time.Time `json:"rotate_after,omitempty"`
}

type rotationResponse struct {
	Rotation *sessions.Rotation `json:"rotation"`
}

type webhooksResponse struct {
	Webhooks   []webhookJSON `json:"webhooks"`
	EventTypes []string      `json:"event_types"`
}

// webhookResponse is an endpoint, with its signing secret when it was just
// made (shown once).
type webhookResponse struct {
	Webhook webhookJSON `json:"webhook"`
	Secret  string      `json:"secret,omitempty"`
}

type secretResponse struct {
	Secret string `json:"secret"`
}

type deliveriesResponse struct {
	Deliveries []webhooks.Delivery `json:"deliveries"`
}

type deliveryResponse struct {
	Delivery *webhooks.DeliveryDetail `json:"delivery"`
}
