package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Run delivers due events until ctx ends: at every poll, and at once when
// Enqueue wakes it. serve runs it on every node; claims keep the nodes
// from sending one delivery twice at the same time.
func (s *Store) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if now := s.cfg.Now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if _, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				log.Warn("webhook pruning failed", "err", err)
			}
		}
		for ctx.Err() == nil {
			n, err := s.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				log.Warn("webhook delivery failed", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

type job struct {
	ID           int64     `db:"id"`
	TenantID     int64     `db:"tenant_id"`
	EndpointID   int64     `db:"endpoint_id"`
	Attempts     int       `db:"attempts"`
	GiveUpAt     time.Time `db:"give_up_at"`
	URL          string    `db:"url"`
	Status       string    `db:"endpoint_status"`
	SecretSealed []byte    `db:"secret_sealed"`
	SecretKeyID  string    `db:"secret_key_id"`
	EventID      string    `db:"public_id"`
	EventType    string    `db:"type"`
	Payload      []byte    `db:"payload"`
}

// DeliverDue claims the deliveries that are due, sends them, records the
// outcome, and returns how many it sent. Deliveries to one endpoint go one
// after another in the order their events were written (a new user's
// user.created before its user.login); different endpoints are served in
// parallel, up to Concurrency at a time.
func (s *Store) DeliverDue(ctx context.Context) (int, error) {
	jobs, err := s.claim(ctx, 4*s.cfg.Concurrency)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	leased := s.cfg.Now().Add(s.cfg.Lease)
	queues := byEndpoint(jobs)
	sem := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(queues))
	for i, q := range queues {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var qerrs []error
			for k, j := range q {
				if s.cfg.Now().Add(s.cfg.Timeout).After(leased) {
					// The lease would run out during this send, and another
					// node could send it too: hand the rest back.
					qerrs = append(qerrs, s.release(ctx, q[k:]))
					break
				}
				qerrs = append(qerrs, s.attempt(ctx, j))
			}
			errs[i] = errors.Join(qerrs...)
		}()
	}
	wg.Wait()
	return len(jobs), errors.Join(errs...)
}

// byEndpoint splits jobs into one queue per endpoint, each in delivery id
// order (the order Enqueue wrote them), the queues in the order of their
// first job.
func byEndpoint(jobs []job) [][]*job {
	slices.SortFunc(jobs, func(a, b job) int { return cmp.Compare(a.ID, b.ID) })
	var queues [][]*job
	at := make(map[int64]int)
	for i := range jobs {
		j := &jobs[i]
		k, ok := at[j.EndpointID]
		if !ok {
			k = len(queues)
			at[j.EndpointID] = k
			queues = append(queues, nil)
		}
		queues[k] = append(queues[k], j)
	}
	return queues
}

// claim takes up to n due deliveries for this node: rows locked by another
// node's claim are skipped, and a lease on next_attempt_at keeps them from
// being claimed again while they are being sent.
func (s *Store) claim(ctx context.Context, n int) ([]job, error) {
	now := s.cfg.Now().UTC()
	var jobs []job
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		// A first attempt waits while an earlier first attempt to its
		// endpoint is out with another node (leased: next_attempt_at in
		// the future), so that nodes do not reorder an endpoint's events.
		// Retries do not hold later events back.
		if err := tx.SelectContext(ctx, &ids, `SELECT d.id FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= ?
			AND NOT (d.attempts = 0 AND EXISTS (SELECT 1 FROM webhook_deliveries p
				WHERE p.tenant_id = d.tenant_id AND p.endpoint_id = d.endpoint_id AND p.id < d.id
				AND p.status = 'pending' AND p.attempts = 0 AND p.next_attempt_at > ?))
			ORDER BY d.next_attempt_at, d.id LIMIT ? FOR UPDATE SKIP LOCKED`,
			now, now, n); err != nil {
			return fmt.Errorf("webhooks: claim: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (?)`, now.Add(s.cfg.Lease), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("webhooks: claim: %w", err)
		}
		q, args, err = sqlx.In(`SELECT d.id, d.tenant_id, d.endpoint_id, d.attempts, d.give_up_at,
				e.url, e.status AS endpoint_status, e.secret_sealed, e.secret_key_id, v.public_id, v.type, v.payload
			FROM webhook_deliveries d
			JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
			JOIN webhook_events v ON v.id = d.event_id AND v.tenant_id = d.tenant_id
			WHERE d.id IN (?)`, ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &jobs, q, args...); err != nil {
			return fmt.Errorf("webhooks: claim: %w", err)
		}
		return nil
	})
	return jobs, err
}

// release makes claimed deliveries due again without an attempt.
func (s *Store) release(ctx context.Context, jobs []*job) error {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	q, args, err := sqlx.In(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (?)`, s.cfg.Now().UTC(), ids)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("webhooks: release: %w", err)
	}
	return nil
}

// outcome is what one attempt produced.
type outcome struct {
	status   *int
	body     *string
	err      *string
	duration time.Duration
	refused  bool // the dialer refused the address: retrying repeats the refusal
}

func (s *Store) attempt(ctx context.Context, j *job) error {
	if j.Status != StatusActive {
		msg := "endpoint disabled"
		return s.record(ctx, j, outcome{err: &msg}, false, true)
	}
	// A refused address fails the delivery at once; once the tenant's DNS
	// points at a public address again, the delivery can be replayed.
	out := s.send(ctx, j)
	ok := out.status != nil && *out.status >= 200 && *out.status < 300
	return s.record(ctx, j, out, ok, out.refused)
}

func (s *Store) send(ctx context.Context, j *job) outcome {
	fail := func(err error) outcome {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the tenant's; keep the message short
		}
		msg := clip(err.Error(), 512)
		return outcome{err: &msg}
	}
	secret, err := s.keys.Open(j.SecretSealed, j.SecretKeyID, secretAD(j.TenantID, j.EndpointID))
	if err != nil {
		return fail(errors.New("cannot open the endpoint's secret"))
	}
	now := s.cfg.Now()
	sig, err := Sign(string(secret), j.EventID, now, j.Payload)
	if err != nil {
		return fail(err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, j.URL, bytes.NewReader(j.Payload))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "miniauth-webhooks/1")
	req.Header.Set(HeaderID, j.EventID)
	req.Header.Set(HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(HeaderSignature, sig)
	req.Header.Set(HeaderEvent, j.EventType)
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		o := fail(err)
		o.duration = time.Since(start)
		o.refused = errors.Is(err, ErrRefused)
		return o
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	body := clip(strings.ToValidUTF8(string(raw), "\uFFFD"), 2048)
	status := res.StatusCode
	return outcome{status: &status, body: &body, duration: time.Since(start)}
}

// record writes the attempt's outcome and schedules the next one, or
// gives up once the next would fall after give_up_at.
func (s *Store) record(ctx context.Context, j *job, o outcome, ok, giveUp bool) error {
	now := s.cfg.Now().UTC()
	attempts := j.Attempts + 1
	status, next := DeliverySucceeded, now
	if !ok {
		status, next = DeliveryPending, now.Add(s.backoff(attempts))
		if giveUp || next.After(j.GiveUpAt) {
			status = DeliveryFailed
		}
	}
	ms := int(o.duration.Milliseconds())
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
		response_status = ?, response_body = ?, last_error = ?, duration_ms = ? WHERE id = ? AND tenant_id = ?`,
		status, attempts, next, o.status, o.body, o.err, ms, j.ID, j.TenantID)
	if err != nil {
		return fmt.Errorf("webhooks: record delivery: %w", err)
	}
	return nil
}

// backoff is the delay after the nth failed attempt: BaseDelay doubled
// each time up to MaxDelay, with ±10% jitter so that an endpoint that was
// down is not hit by every retry at once when it comes back.
func (s *Store) backoff(n int) time.Duration {
	d := s.cfg.BaseDelay
	for i := 1; i < n && d < s.cfg.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, s.cfg.MaxDelay)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
