package sessions

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/audit"
)

// RotateAfter is when the tenant's next key may start signing through an
// ordinary Rotate: zero when it may now (or there is no next key yet).
func (s *SigningKeys) RotateAfter(keys []SigningKey) time.Time {
	for _, k := range keys {
		if k.State == KeyNext {
			if at := k.CreatedAt.Add(s.policy.PublishLead); at.After(s.now()) {
				return at
			}
		}
	}
	return time.Time{}
}

// RotateEmergency is the rotation for a leaked current key: the key is
// retired and leaves the JWKS at once, so that no token it signed verifies
// any more, here or at a verifier that fetches the JWKS again. The next key
// signs from now, however recently it was published (a verifier that has
// not fetched it yet refuses the new tokens until it does, rather than
// accepting forged ones), and a new next key is published. Every node
// drops its copy of the tenant's keys (WithBus), not after its cache TTL.
func (s *SigningKeys) RotateEmergency(ctx context.Context, tenantID int64, actor audit.Actor) (*Rotation, error) {
	var rot Rotation
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
		alg := s.policy.Alg
		if cur != nil {
			alg = cur.Alg
			rot.Retired, rot.RetireAfter = cur.KID, now
			// read() publishes a retired key only while retire_after lies
			// ahead: a second back, whatever the column rounds.
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ?, retire_after = ?
				WHERE id = ?`, now, now.Add(-time.Second), cur.ID); err != nil {
				return fmt.Errorf("sessions: retire key: %w", err)
			}
		}
		if next != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'current', activated_at = ? WHERE id = ?`,
				now, next.ID); err != nil {
				return fmt.Errorf("sessions: activate key: %w", err)
			}
			rot.Current, alg = next.KID, next.Alg
		} else {
			kid, err := s.insert(ctx, tx, tenantID, alg, KeyCurrent, now)
			if err != nil {
				return err
			}
			rot.Current = kid
		}
		kid, err := s.insert(ctx, tx, tenantID, alg, KeyNext, now)
		if err != nil {
			return err
		}
		rot.Next = kid
		return audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor,
			Action: "signing_key.emergency_rotated", TargetType: "signing_key", TargetID: rot.Current,
			Details: map[string]any{"retired": rot.Retired, "next": rot.Next, "alg": alg}})
	})
	if err != nil {
		return nil, err
	}
	return &rot, nil
}
