package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// TooSoonError says when a rotation refused now becomes possible.
type TooSoonError struct{ At time.Time }

func (e *TooSoonError) Error() string {
	return "sessions: the next signing key may sign from " + e.At.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrRotationTooSoon) true.
func (e *TooSoonError) Is(target error) bool { return target == ErrRotationTooSoon }

// Rotation is what a rotation did.
type Rotation struct {
	Current string `json:"current"` // kid now signing
	Next    string `json:"next"`    // kid published for the next rotation
	Retired string `json:"retired"` // kid that stopped signing; published until RetireAfter
	// RetireAfter is when the retired key leaves the JWKS.
	RetireAfter time.Time `json:"retire_after"`
}

// Rotate makes the tenant's next key (published in the JWKS for at least
// PublishLead) the signing one, retires the current key (it stays
// published until every token it signed has expired) and publishes a new
// next key of alg (empty: the same algorithm as before). A next key that
// is too young gives *TooSoonError: verifiers may not have fetched it yet.
func (s *SigningKeys) Rotate(ctx context.Context, tenantID int64, alg string, actor audit.Actor) (*Rotation, error) {
	if alg != "" && alg != AlgES256 && alg != AlgEdDSA {
		return nil, ErrBadAlg
	}
	var rot Rotation
	var tooSoon error
	err := s.inTenantTx(ctx, tenantID, func(tx *sqlx.Tx, keys []SigningKey) error {
		now := s.now()
		var cur, next *SigningKey
		for i := range keys {
			switch keys[i].State {
			case KeyCurrent:
				cur = &keys[i]
			case KeyNext:
				next = &keys[i]
			}
		}
		if next == nil {
			// Publish one now; it may sign after the lead time.
			a := alg
			if a == "" {
				a = s.policy.Alg
				if cur != nil {
					a = cur.Alg
				}
			}
			kid, err := s.insert(ctx, tx, tenantID, a, KeyNext, now)
			if err != nil {
				return err
			}
			if cur == nil {
				kid, err := s.insert(ctx, tx, tenantID, a, KeyCurrent, now)
				rot.Current = kid
				return err
			}
			rot.Current, rot.Next = cur.KID, kid
			tooSoon = &TooSoonError{At: now.Add(s.policy.PublishLead)}
			return nil
		}
		if cur != nil && now.Sub(next.CreatedAt) < s.policy.PublishLead {
			return &TooSoonError{At: next.CreatedAt.Add(s.policy.PublishLead)}
		}
		if cur != nil {
			rot.Retired, rot.RetireAfter = cur.KID, now.Add(s.policy.retireGrace())
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ?, retire_after = ?
				WHERE id = ?`, now, rot.RetireAfter, cur.ID); err != nil {
				return fmt.Errorf("sessions: retire key: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'current', activated_at = ? WHERE id = ?`,
			now, next.ID); err != nil {
			return fmt.Errorf("sessions: activate key: %w", err)
		}
		rot.Current = next.KID
		a := alg
		if a == "" {
			a = next.Alg
		}
		kid, err := s.insert(ctx, tx, tenantID, a, KeyNext, now)
		if err != nil {
			return err
		}
		rot.Next = kid
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "signing_key.rotated", TargetType: "signing_key", TargetID: rot.Current,
			Details: map[string]any{"retired": rot.Retired, "next": rot.Next, "alg": a}})
	})
	if err != nil {
		return nil, err
	}
	if tooSoon != nil {
		return &rot, tooSoon
	}
	return &rot, nil
}

// RotateDue rotates the keys of every tenant whose current key is older
// than RotateEvery, and deletes retired keys that left the JWKS more than a
// day ago. It returns how many tenants it rotated.
func (s *SigningKeys) RotateDue(ctx context.Context) (int, error) {
	now := s.now()
	var due []int64
	if err := s.db.SelectContext(ctx, &due, `SELECT tenant_id FROM signing_keys
		WHERE state = 'current' AND activated_at <= ?`, now.Add(-s.policy.RotateEvery)); err != nil {
		return 0, fmt.Errorf("sessions: due rotations: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range due {
		_, err := s.Rotate(ctx, id, "", audit.Actor{Type: "system", ID: "key-rotation"})
		switch {
		case err == nil:
			n++
		case !errors.Is(err, ErrRotationTooSoon):
			errs = append(errs, fmt.Errorf("tenant %d: %w", id, err))
		}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM signing_keys WHERE state = 'retired' AND retire_after < ?`,
		now.Add(-24*time.Hour)); err != nil {
		errs = append(errs, fmt.Errorf("sessions: prune keys: %w", err))
	}
	return n, errors.Join(errs...)
}

// RunRotation calls RotateDue every interval until ctx ends. serve runs it
// on every node; the tenant row lock makes concurrent rotations harmless.
func (s *SigningKeys) RunRotation(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.RotateDue(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("signing key rotation failed", "err", err)
		}
		if n > 0 {
			log.Info("signing keys rotated", "tenants", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
