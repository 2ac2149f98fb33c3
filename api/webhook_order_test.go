package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/webhooks"
)

// orderReceiver is a webhook endpoint that notes the order events arrive
// in, and whether a second one arrived while the first was still being
// answered. It holds each request until another arrives or hold passes:
// a worker that sends an endpoint's events one at a time never sends the
// second during the hold, one that sends them in parallel does.
type orderReceiver struct {
	*httptest.Server
	mu         sync.Mutex
	events     []string
	inFlight   int
	overlapped bool
	other      chan struct{} // a request arrived while another was held
}

func newOrderReceiver(t *testing.T, hold time.Duration) *orderReceiver {
	h := &orderReceiver{other: make(chan struct{}, 1)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.events = append(h.events, r.Header.Get("miniauth-event"))
		h.inFlight++
		alone := h.inFlight == 1
		if !alone {
			h.overlapped = true
			select {
			case h.other <- struct{}{}:
			default:
			}
		}
		h.mu.Unlock()
		if alone {
			select {
			case <-time.After(hold):
			case <-h.other:
			}
		}
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
		w.Write([]byte("ok"))
	}))
	t.Cleanup(h.Close)
	return h
}

// A new user's user.created reaches the backend before its user.login,
// one after the other, however the user came to be.
func TestWebhookOrderForNewUser(t *testing.T) {
	for _, c := range []struct {
		name string
		join func(e *env) // makes a new user of acme
	}{
		{"login (auto policy)", func(e *env) { e.loginFull("nora") }},
		{"sign-up (signup policy)", func(e *env) {
			e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
			r := e.loginBody(`{"code":"` + e.code("nora") + `"}`)
			ticket, _ := r.Body["signup_ticket"].(string)
			if r := e.do("POST", "/t/acme/register", `{"signup_ticket":"`+ticket+`"}`); r.Status != 200 {
				t.Fatalf("register: %d %s", r.Status, r.Raw)
			}
		}},
		{"web OAuth", func(e *env) {
			back := e.finish(e.authorize("snsapi_base", "nora"))
			if frag, _ := url.ParseQuery(back.Fragment); frag.Get("is_new") != "true" {
				t.Fatalf("web OAuth made no new user: %s", back)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := withOfficialAccount(t)
			recv := newOrderReceiver(t, time.Second)
			_, secret, err := e.hooks.CreateEndpoint(context.Background(), e.tenant.ID, webhooks.EndpointInput{
				URL: recv.URL + "/hook", Events: []string{webhooks.UserLogin, webhooks.UserCreated}}, audit.CLI)
			if err != nil {
				t.Fatal(err)
			}
			remember(secret, "webhook secret")
			c.join(e)
			if _, err := e.hooks.DeliverDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			recv.mu.Lock()
			defer recv.mu.Unlock()
			if len(recv.events) != 2 || recv.events[0] != "user.created" || recv.events[1] != "user.login" {
				t.Fatalf("received %v, want [user.created user.login]", recv.events)
			}
			if recv.overlapped {
				t.Fatal("user.login was sent while user.created was still being delivered")
			}
		})
	}
}
