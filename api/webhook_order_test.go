package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
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
	arrived    chan struct{}
}

func newOrderReceiver(t *testing.T, hold time.Duration) *orderReceiver {
	h := &orderReceiver{arrived: make(chan struct{}, 16)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.events = append(h.events, r.Header.Get("miniauth-event"))
		h.inFlight++
		if h.inFlight > 1 {
			h.overlapped = true
		}
		h.mu.Unlock()
		h.arrived <- struct{}{}
		select {
		case <-time.After(hold):
		case <-h.arrived: // another request came in meanwhile
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
	e := newAdminEnv(t)
	recv := newOrderReceiver(t, time.Second)
	r := e.as(e.callers[own], "POST", "/admin/api/tenants/acme/webhooks",
		`{"url":"`+recv.URL+`/hook","events":["user.login","user.created"]}`)
	if r.Status != 201 {
		t.Fatalf("create webhook: %d %s", r.Status, r.Raw)
	}
	remember(r.Body["secret"].(string), "webhook secret")

	e.loginFull("nora") // a new user by login (the auto policy)
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
}
