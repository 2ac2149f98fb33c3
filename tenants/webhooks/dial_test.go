package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"miniauth/tenants/audit"
	"miniauth/tenants/webhooks"
)

// A host name that resolves to loopback gets past no check at
// registration (the row is written directly, as if DNS changed after):
// the dialer refuses the address it would connect to, and the delivery
// fails at once with the reason, without a request reaching the receiver.
func TestDialRefusesAHostResolvingToLoopback(t *testing.T) {
	ctx := context.Background()
	f := setup(t, false)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer recv.Close()
	u, _ := url.Parse(recv.URL)
	ep, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: "https://93.184.215.14/", Events: []string{webhooks.UserCreated}}, audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	f.db.MustExec(`UPDATE webhook_endpoints SET url = ? WHERE id = ?`, "http://localhost:"+u.Port()+"/hook", ep.ID)
	f.enqueue(t, f.a.ID, webhooks.UserCreated, true)
	if n, err := f.store.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	ds, _ := f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{})
	if len(ds) != 1 {
		t.Fatalf("%d deliveries", len(ds))
	}
	d := ds[0]
	if hits.Load() != 0 || d.Status != webhooks.DeliveryFailed || d.Attempts != 1 || d.ResponseStatus != nil ||
		d.LastError == nil || !strings.Contains(*d.LastError, "address refused") || !strings.Contains(*d.LastError, "loopback") {
		t.Fatalf("hits=%d delivery=%+v last_error=%v", hits.Load(), d, deref(d.LastError))
	}
}

// Redirects are never followed, to any address: the 3xx is the answer.
func TestDeliveryDoesNotFollowRedirects(t *testing.T) {
	ctx := context.Background()
	f := setup(t, true)
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer recv.Close()
	if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: recv.URL, Events: []string{webhooks.UserCreated}}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, f.a.ID, webhooks.UserCreated, true)
	if _, err := f.store.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{})
	if hits.Load() != 0 || len(ds) != 1 || ds[0].ResponseStatus == nil || *ds[0].ResponseStatus != http.StatusTemporaryRedirect ||
		ds[0].Status != webhooks.DeliveryPending {
		t.Fatalf("redirect: target hits=%d deliveries=%+v", hits.Load(), ds)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
