package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/ratelimit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/wechat/wechattest"
)

// benchTenant is one seeded tenant with its mini-program.
type benchTenant struct {
	idx          int
	id, appRowID int64
	slug, appid  string
	secret       string
}

func tenantSpec(i int) benchTenant {
	return benchTenant{idx: i, slug: fmt.Sprintf("bench-%04d", i), appid: fmt.Sprintf("wxbench%07d", i),
		secret: fmt.Sprintf("bench-app-secret-%07d", i)}
}

// benchSettings lift the rate budgets out of the way: one loopback address
// and a few thousand users would otherwise spend the per-address and
// per-identity budgets in a second. The limiter still runs on every request.
// The rest is a new tenant's settings (no access token at login), unless
// tokens asks for an access token in every login's answer.
func benchSettings(tokens bool) []byte {
	const big = 1_000_000
	patch := map[string]any{"rate_limits": ratelimit.Limits{
		LoginPerTenantPerSecond: big, LoginPerIPPerMinute: big, LoginPerIdentityPerMinute: big,
		SessionPerTokenPerMinute: big, APIKeyPerSecond: big}}
	if tokens {
		patch["access_token_on_login"] = true
	}
	b, _ := json.Marshal(patch)
	return b
}

// seedTenants creates tenants from..to-1 through the Registry (sealed
// secrets, audit rows), 16 at a time, with the bench's settings.
func seedTenants(ctx context.Context, db *sqlx.DB, reg *tenants.Registry, from, to int, tokens bool) ([]benchTenant, error) {
	out := make([]benchTenant, to-from)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1) - 1)
				if n >= len(out) {
					return
				}
				bt := tenantSpec(from + n)
				t, err := reg.Create(ctx, tenants.NewTenant{Slug: bt.slug, Name: "Bench " + bt.slug,
					AppID: bt.appid, Secret: bt.secret, Actor: audit.Actor{Type: "system", ID: "mabench"}})
				if err != nil {
					errs <- fmt.Errorf("tenant %s: %w", bt.slug, err)
					return
				}
				bt.id, bt.appRowID = t.ID, t.Apps[0].ID
				out[n] = bt
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `UPDATE tenants SET settings = JSON_MERGE_PATCH(settings, ?) WHERE slug LIKE 'bench-%'`, benchSettings(tokens)); err != nil {
		return nil, err
	}
	return out, nil
}

// benchUser is a seeded user: the simulator's user name and its rows.
type benchUser struct {
	t    *benchTenant
	id   int64
	name string
}

func userName(k int) string { return fmt.Sprintf("u%d", k) }

// seedUsers writes users (and their identities, with the openid the
// simulator derives for the name) straight into MySQL, 1,000 rows a
// statement: users from..to-1 of each tenant.
func seedUsers(ctx context.Context, db *sqlx.DB, ts []benchTenant, from, to int) ([]benchUser, error) {
	var base int64
	if err := db.GetContext(ctx, &base, `SELECT COALESCE(MAX(id), 0) FROM users`); err != nil {
		return nil, err
	}
	wx := wechattest.New(wechattest.Options{})
	var all []benchUser
	for i := range ts {
		for k := from; k < to; k++ {
			base++
			all = append(all, benchUser{t: &ts[i], id: base, name: userName(k)})
		}
	}
	const batch = 1000
	for i := 0; i < len(all); i += batch {
		part := all[i:min(i+batch, len(all))]
		var us, ids strings.Builder
		uargs := make([]any, 0, 3*len(part))
		iargs := make([]any, 0, 4*len(part))
		for j, u := range part {
			if j > 0 {
				us.WriteByte(',')
				ids.WriteByte(',')
			}
			us.WriteString("(?, ?, ?, NOW(3))")
			ids.WriteString("(?, ?, ?, ?, NOW(3))")
			uargs = append(uargs, u.id, u.t.id, fmt.Sprintf("u_bench%018d", u.id))
			iargs = append(iargs, u.t.id, u.id, u.t.appRowID, wx.OpenID(u.t.appid, u.name))
		}
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, tenant_id, public_id, last_login_at) VALUES `+us.String(), uargs...); err != nil {
			tx.Rollback() //nolint:errcheck
			return nil, fmt.Errorf("seed users: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO identities (tenant_id, user_id, app_id, openid, last_login_at) VALUES `+ids.String(), iargs...); err != nil {
			tx.Rollback() //nolint:errcheck
			return nil, fmt.Errorf("seed identities: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// wechatUA is what a mini-program's requests carry: sessions remember it
// in the user's index, so seeded sessions carry a realistic one.
const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
	"Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"

// seedSessions creates perUser sessions for each user through
// sessions.Store.Create (64 at a time: the same writes a login makes) and
// returns the tokens of every keepEvery-th session, with their tenants.
func seedSessions(ctx context.Context, st *sessions.Store, us []benchUser, perUser, keepEvery int) ([]tokenOf, error) {
	total := len(us) * perUser
	kept := make([]tokenOf, 0, total/keepEvery+1)
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var raw [16]byte
			for {
				n := int(next.Add(1) - 1)
				if n >= total || ctx.Err() != nil {
					return
				}
				u := us[n%len(us)]
				_, _ = rand.Read(raw[:])
				tok, _, err := st.Create(ctx, sessions.New{TenantID: u.t.id, UserID: u.id, AppID: u.t.appRowID,
					SessionKey: base64.StdEncoding.EncodeToString(raw[:]),
					Idle:       tenants.DefaultSessionIdle, Absolute: tenants.DefaultSessionAbsolute,
					IP: "203.0.113.7", UserAgent: wechatUA})
				if err != nil {
					errs <- err
					return
				}
				if n%keepEvery == 0 {
					mu.Lock()
					kept = append(kept, tokenOf{slug: u.t.slug, token: tok})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("seed sessions: %w", err)
	}
	return kept, ctx.Err()
}

// since formats how long a step took.
func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }
