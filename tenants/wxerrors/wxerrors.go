// Package wxerrors remembers each tenant's recent WeChat failures for the
// console's overview.
package wxerrors

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Log remembers the last WeChat failures of each tenant in a short
// capped Redis list, so that its admins see in the console why logins fail
// (a rotated AppSecret, WeChat being down) without reading server logs.
type Log struct {
	rdb    redis.UniversalClient
	prefix string
	keep   int64
}

// New keeps the last 20 failures per tenant under prefix.
func New(rdb redis.UniversalClient, prefix string) *Log {
	return &Log{rdb: rdb, prefix: prefix, keep: 20}
}

// Entry is one remembered failure. Msg is WeChat's errmsg, which
// never carries a secret.
type Entry struct {
	At    time.Time `json:"at"`
	AppID string    `json:"appid,omitempty"`
	API   string    `json:"api"`
	Code  int       `json:"errcode"`
	Msg   string    `json:"errmsg"`
}

func (w *Log) key(tenantID int64) string {
	return w.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":wxerr"
}

// Record remembers e for the tenant; the list keeps the newest entries and
// disappears after a week without failures.
func (w *Log) Record(ctx context.Context, tenantID int64, e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	if r := []rune(e.Msg); len(r) > 200 {
		e.Msg = string(r[:200]) // by runes: WeChat's errmsg is often Chinese
	}
	b, _ := json.Marshal(e)
	k := w.key(tenantID)
	pipe := w.rdb.Pipeline()
	pipe.LPush(ctx, k, b)
	pipe.LTrim(ctx, k, 0, w.keep-1)
	pipe.Expire(ctx, k, 7*24*time.Hour)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("wxerrors: record: %w", err)
	}
	return nil
}

// Recent returns the tenant's remembered failures, newest first.
func (w *Log) Recent(ctx context.Context, tenantID int64) ([]Entry, error) {
	vals, err := w.rdb.LRange(ctx, w.key(tenantID), 0, w.keep-1).Result()
	if err != nil {
		return nil, fmt.Errorf("wxerrors: recent: %w", err)
	}
	out := make([]Entry, 0, len(vals))
	for _, v := range vals {
		var e Entry
		if json.Unmarshal([]byte(v), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}
