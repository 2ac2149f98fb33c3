package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Store keeps the history in MySQL and answers the console's questions,
// reading today from the Counter's Redis.
type Store struct {
	db *sqlx.DB
	c  *Counter
	// Keep is how many days of history stay in MySQL.
	Keep int
}

// DefaultKeep is how many days of history a Store keeps: a little over a
// year, so that a year can be compared with the last.
const DefaultKeep = 400

// NewStore returns a Store over db and the Counter's Redis.
func NewStore(db *sqlx.DB, c *Counter) *Store {
	return &Store{db: db, c: c, Keep: DefaultKeep}
}

// tenantIDs lists every tenant's id, the set a rollup or the platform
// overview walks (Redis is never scanned for it).
func (s *Store) tenantIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM tenants ORDER BY id`); err != nil {
		return nil, fmt.Errorf("stats: tenants: %w", err)
	}
	return ids, nil
}

// upsert writes rows, replacing the values of rows already there: a day
// rolled up twice holds the same rows.
func (s *Store) upsert(ctx context.Context, rows []row) error {
	for start := 0; start < len(rows); start += insertBatch {
		chunk := rows[start:min(start+insertBatch, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO usage_daily (tenant_id, day, app_id, way, metric, value) VALUES `)
		args := make([]any, 0, 6*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, r.TenantID, r.Day, r.AppID, r.Way, r.Metric, r.Value)
		}
		b.WriteString(` ON DUPLICATE KEY UPDATE value = VALUES(value)`)
		if _, err := s.db.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("stats: save usage: %w", err)
		}
	}
	return nil
}

// today is the start of the current day by the Counter's clock.
func (s *Store) today() time.Time { return dayOf(s.c.now()) }
