package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// today is the tenant's day as its cap counts it, and when it ends.
func (b *Budgets) today() (day string, end time.Time) {
	d := b.now().In(chinaTime)
	return d.Format("20060102"), time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, chinaTime)
}

// SentToday is how many codes the tenant's cap counted today (a calendar
// day in China Standard Time), on every node.
func (b *Budgets) SentToday(ctx context.Context, tenantID int64) (int, error) {
	day, _ := b.today()
	n, err := b.rdb.Get(ctx, b.key(tenantID, "day", day)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sms: sent today: %w", err)
	}
	return n, nil
}

// NoteCapReached records that the tenant's daily cap refused a send today
// and reports whether this was the first time today, cluster-wide: the
// caller audits that one, not every refusal after it.
func (b *Budgets) NoteCapReached(ctx context.Context, tenantID int64) (first bool, err error) {
	day, end := b.today()
	ok, err := b.rdb.SetNX(ctx, b.key(tenantID, "capped", day), 1, time.Until(end)+24*time.Hour).Result()
	if err != nil {
		return false, fmt.Errorf("sms: note cap: %w", err)
	}
	return ok, nil
}

// CapReachedToday reports whether the tenant's daily cap refused a send
// today (the console's warning).
func (b *Budgets) CapReachedToday(ctx context.Context, tenantID int64) (bool, error) {
	day, _ := b.today()
	n, err := b.rdb.Exists(ctx, b.key(tenantID, "capped", day)).Result()
	if err != nil {
		return false, fmt.Errorf("sms: cap reached: %w", err)
	}
	return n > 0, nil
}

// Budgets are the sender's budgets, for the cap's warnings.
func (s *Sender) Budgets() *Budgets { return s.cfg.Budgets }
