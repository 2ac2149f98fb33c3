package webhooks_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/webhooks"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db    *sqlx.DB
	clock *clock
	store *webhooks.Store
	a, b  *tenants.Tenant
}

func setup(t *testing.T, allowPrivate bool) *fixture {
	t.Helper()
	db, _ := tenantstest.DB(t)
	ring := tenantstest.Keyring(t)
	reg := tenants.NewRegistry(db, ring)
	f := &fixture{db: db, clock: &clock{now: time.Now().Truncate(time.Second)}}
	var err error
	if f.a, err = reg.Create(context.Background(), tenants.NewTenant{Slug: "alpha", Name: "A", AppID: "wxalpha00001", Secret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if f.b, err = reg.Create(context.Background(), tenants.NewTenant{Slug: "bravo", Name: "B", AppID: "wxbravo00001", Secret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	f.store = webhooks.NewStore(db, ring, webhooks.Config{AllowPrivate: allowPrivate, Now: f.clock.Now,
		Timeout: 2 * time.Second, BaseDelay: time.Minute, MaxDelay: time.Hour})
	return f
}

// enqueue writes an event in its own transaction, committed or not.
func (f *fixture) enqueue(t *testing.T, tenantID int64, typ string, commit bool) {
	t.Helper()
	tx := f.db.MustBegin()
	if err := f.store.Enqueue(context.Background(), tx, tenantID, typ, map[string]any{"user": map[string]string{"id": "u_1"}}); err != nil {
		t.Fatal(err)
	}
	if commit {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	} else {
		_ = tx.Rollback()
	}
}

func TestEndpointsRefuseInternalAddresses(t *testing.T) {
	ctx := context.Background()
	f := setup(t, false)
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/", "http://192.168.0.10/",
		"http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/",
		"http://[::ffff:127.0.0.1]/"} {
		if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: u, Events: []string{webhooks.UserCreated}}, audit.CLI); !errors.Is(err, webhooks.ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	for _, in := range []webhooks.EndpointInput{
		{URL: "ftp://example.com/", Events: []string{webhooks.UserCreated}},
		{URL: "https://user:pw@example.com/", Events: []string{webhooks.UserCreated}},
		{URL: "https://93.184.215.14/", Events: []string{"user.exploded"}},
		{URL: "https://93.184.215.14/", Events: nil},
	} {
		if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, in, audit.CLI); !errors.Is(err, tenants.ErrInvalid) {
			t.Errorf("%+v: %v, want invalid", in, err)
		}
	}
	var n int
	if err := f.db.Get(&n, `SELECT COUNT(*) FROM webhook_endpoints`); err != nil || n != 0 {
		t.Fatalf("%d endpoints stored (%v)", n, err)
	}

	// An endpoint that became internal later (DNS rebinding, or a row
	// written before the rule) is still refused when connecting.
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer recv.Close()
	ep, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: "https://93.184.215.14/", Events: []string{webhooks.UserCreated}}, audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	f.db.MustExec(`UPDATE webhook_endpoints SET url = ? WHERE id = ?`, recv.URL, ep.ID)
	f.enqueue(t, f.a.ID, webhooks.UserCreated, true)
	if _, err := f.store.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{})
	if hits.Load() != 0 || len(ds) != 1 || ds[0].LastError == nil || !strings.Contains(*ds[0].LastError, "refused") {
		t.Fatalf("delivery to loopback: hits=%d deliveries=%+v", hits.Load(), ds)
	}
}

type received struct {
	header http.Header
	body   string
}

func TestDeliveryRetriesAndReplay(t *testing.T) {
	ctx := context.Background()
	f := setup(t, true)
	var mu sync.Mutex
	var got []received
	var failNext atomic.Int32
	failNext.Store(1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Clone(), string(body)})
		mu.Unlock()
		if failNext.Add(-1) >= 0 {
			http.Error(w, "busy, try later", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer recv.Close()

	ep, secret, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: recv.URL + "/hooks",
		Events: []string{webhooks.UserCreated, webhooks.UserBanned}}, audit.CLI)
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("CreateEndpoint = %v, %q", err, secret)
	}
	var sealed []byte
	f.db.Get(&sealed, `SELECT secret_sealed FROM webhook_endpoints WHERE id = ?`, ep.ID)
	if strings.Contains(string(sealed), secret[6:]) {
		t.Fatal("the endpoint secret is stored in clear")
	}

	// An event whose transaction rolls back never leaves; events nobody
	// subscribed to, or of another tenant, write nothing.
	f.enqueue(t, f.a.ID, webhooks.UserCreated, false)
	f.enqueue(t, f.a.ID, webhooks.UserLogin, true)
	f.enqueue(t, f.b.ID, webhooks.UserCreated, true)
	var events int
	f.db.Get(&events, `SELECT COUNT(*) FROM webhook_events`)
	if events != 0 {
		t.Fatalf("%d events in the outbox, want 0", events)
	}

	f.enqueue(t, f.a.ID, webhooks.UserCreated, true)
	if n, err := f.store.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("first attempt: %d, %v", n, err)
	}
	ds, _ := f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{})
	d := ds[0]
	if d.Status != webhooks.DeliveryPending || d.Attempts != 1 || *d.ResponseStatus != 503 || !strings.Contains(*d.ResponseBody, "busy") {
		t.Fatalf("after a 503: %+v", d)
	}
	if wait := d.NextAttemptAt.Sub(f.clock.Now()); wait < 50*time.Second || wait > 70*time.Second {
		t.Fatalf("first retry in %v, want about a minute", wait)
	}
	if n, _ := f.store.DeliverDue(ctx); n != 0 {
		t.Fatal("a delivery was retried before its time")
	}
	f.clock.Add(2 * time.Minute)
	if n, err := f.store.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	ds, _ = f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{EndpointID: ep.ID})
	if ds[0].Status != webhooks.DeliverySucceeded || ds[0].Attempts != 2 || *ds[0].ResponseStatus != 200 {
		t.Fatalf("after the retry: %+v", ds[0])
	}

	mu.Lock()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	for _, r := range got {
		if err := webhooks.Verify(secret, r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"),
			r.header.Get("webhook-signature"), []byte(r.body), f.clock.Now(), 5*time.Minute); err != nil {
			t.Fatalf("signature does not verify: %v (%v)", err, r.header)
		}
		if r.header.Get("miniauth-event") != "user.created" || !strings.Contains(r.body, `"type":"user.created"`) || !strings.Contains(r.body, `"u_1"`) {
			t.Fatalf("delivery = %v %s", r.header, r.body)
		}
	}
	if got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") || got[0].body != got[1].body {
		t.Fatal("a retry changed the event id or body")
	}
	if webhooks.Verify(secret, got[0].header.Get("webhook-id"), got[0].header.Get("webhook-timestamp"),
		got[0].header.Get("webhook-signature"), []byte(got[0].body+" "), f.clock.Now(), 5*time.Minute) == nil {
		t.Fatal("a tampered body verifies")
	}
	mu.Unlock()

	// Replay makes a new delivery of the same event.
	if _, err := f.store.Replay(ctx, f.b.ID, ds[0].ID, audit.CLI); !errors.Is(err, webhooks.ErrNotFound) {
		t.Fatalf("replay from another tenant: %v", err)
	}
	re, err := f.store.Replay(ctx, f.a.ID, ds[0].ID, audit.CLI)
	if err != nil || re.ID == ds[0].ID || re.EventID != ds[0].EventID || re.Status != webhooks.DeliveryPending {
		t.Fatalf("Replay = %+v, %v", re, err)
	}
	if n, err := f.store.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("replay delivery: %d, %v", n, err)
	}
	if d, _ := f.store.Delivery(ctx, f.a.ID, re.ID); d.Status != webhooks.DeliverySucceeded || !strings.Contains(string(d.Payload), ds[0].EventID) {
		t.Fatalf("replayed delivery: %+v", d)
	}
	if other, _ := f.store.Deliveries(ctx, f.b.ID, webhooks.DeliveryQuery{}); len(other) != 0 {
		t.Fatalf("tenant b sees %d deliveries", len(other))
	}
}

func TestDeliveryGivesUpAfterADay(t *testing.T) {
	ctx := context.Background()
	f := setup(t, true)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer recv.Close()
	if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: recv.URL, Events: []string{webhooks.UserBanned}}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, f.a.ID, webhooks.UserBanned, true)
	var last webhooks.Delivery
	for i := 0; i < 100; i++ {
		if _, err := f.store.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		ds, _ := f.store.Deliveries(ctx, f.a.ID, webhooks.DeliveryQuery{})
		last = ds[0]
		if last.Status != webhooks.DeliveryPending {
			break
		}
		f.clock.Add(last.NextAttemptAt.Sub(f.clock.Now()) + time.Second)
	}
	// Delays of 1m, 2m, 4m … capped at 1h: about 29 attempts in a day.
	if last.Status != webhooks.DeliveryFailed || last.Attempts < 20 || last.Attempts > 35 || int(hits.Load()) != last.Attempts {
		t.Fatalf("final delivery %+v after %d requests", last, hits.Load())
	}
	if elapsed := f.clock.Now().Sub(last.CreatedAt); elapsed < 22*time.Hour || elapsed > 25*time.Hour {
		t.Fatalf("gave up after %v, want about a day", elapsed)
	}
}

func TestRunDeliversInTheBackground(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := setup(t, true)
	got := make(chan string, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("miniauth-event")
	}))
	defer recv.Close()
	if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: recv.URL, Events: []string{webhooks.UserDeleted}}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { f.store.Run(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	f.enqueue(t, f.a.ID, webhooks.UserDeleted, true)
	select {
	case ev := <-got:
		if ev != webhooks.UserDeleted {
			t.Fatalf("got %q", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not deliver")
	}
	cancel()
	<-done // Run returns when its context ends
}

func TestPruneKeepsRecentEvents(t *testing.T) {
	ctx := context.Background()
	f := setup(t, true)
	if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: "http://127.0.0.1:9/", Events: []string{webhooks.UserLogin}}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, f.a.ID, webhooks.UserLogin, true)
	f.clock.Add(20 * 24 * time.Hour)
	f.enqueue(t, f.a.ID, webhooks.UserLogin, true)
	f.clock.Add(11 * 24 * time.Hour)
	if n, err := f.store.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the one event older than 30 days", n, err)
	}
	var events, deliveries int
	f.db.Get(&events, `SELECT COUNT(*) FROM webhook_events`)
	f.db.Get(&deliveries, `SELECT COUNT(*) FROM webhook_deliveries`)
	if events != 1 || deliveries != 1 {
		t.Fatalf("%d events and %d deliveries left, want 1 and 1", events, deliveries)
	}
}

func TestConcurrentWorkersSendEachDeliveryOnce(t *testing.T) {
	ctx := context.Background()
	f := setup(t, true)
	var mu sync.Mutex
	hits := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.Header.Get("webhook-id")]++
		mu.Unlock()
	}))
	defer recv.Close()
	if _, _, err := f.store.CreateEndpoint(ctx, f.a.ID, webhooks.EndpointInput{URL: recv.URL, Events: []string{webhooks.UserLogin}}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	const events = 40
	for i := 0; i < events; i++ {
		f.enqueue(t, f.a.ID, webhooks.UserLogin, true)
	}
	// Three "nodes" drain the outbox at once.
	var wg sync.WaitGroup
	for n := 0; n < 3; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if k, err := f.store.DeliverDue(ctx); err != nil || k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(hits) != events {
		t.Fatalf("%d distinct events received, want %d", len(hits), events)
	}
	for id, n := range hits {
		if n != 1 {
			t.Fatalf("event %s sent %d times", id, n)
		}
	}
}
