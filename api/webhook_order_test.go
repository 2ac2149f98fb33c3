package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
		join func(e *env) []scenario // the rows that make a new user of acme
	}{
		{"login (auto policy)", func(e *env) []scenario {
			return []scenario{{name: "login", path: "/t/acme/login", bodyFn: func(e *env) string { return `{"code":"` + e.code("nora") + `"}` },
				status: 200, delta: state{1, 1, 1}}}
		}},
		{"sign-up (signup policy)", func(e *env) []scenario {
			var ticket string
			return []scenario{
				{name: "login", path: "/t/acme/login", status: 200,
					before: func(e *env) {
						e.settings(func(s *tenants.Settings) { s.Registration = tenants.RegistrationSignup })
					},
					bodyFn: func(e *env) string { return `{"code":"` + e.code("nora") + `"}` },
					check: func(t *testing.T, r response) {
						ticket = r.str("signup_ticket")
						remember(ticket, "signup ticket")
					}},
				{name: "register", path: "/t/acme/register", bodyFn: func(*env) string { return `{"signup_ticket":"` + ticket + `"}` },
					status: 200, delta: state{1, 1, 1}},
			}
		}},
		{"web OAuth", func(e *env) []scenario {
			f, steps := oauthSteps(e, "snsapi_base", "nora")
			return append(steps, f.back(scenario{name: "callback", delta: state{1, 1, 1},
				check: func(t *testing.T, r response) {
					if oauthFragment(t, r).Get("is_new") != "true" {
						t.Fatalf("web OAuth made no new user: %s", r.locationURL())
					}
				}}))
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
			runStory(t, e, scenario{}, c.join(e))
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
