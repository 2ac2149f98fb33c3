package sessions_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

func newStore(t *testing.T, b backend) (*sessions.Store, func(pattern string) []string) {
	t.Helper()
	rdb, prefix := b.open(t)
	keys := func(pattern string) []string {
		k, err := tenantstest.Keys(context.Background(), rdb, prefix+pattern)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return sessions.NewStore(rdb, prefix, tenantstest.Keyring(t)), keys
}

var policy = sessions.Policy{Idle: time.Hour}

func create(t *testing.T, s *sessions.Store, tenantID, userID int64) string {
	t.Helper()
	token, _, err := s.Create(context.Background(), sessions.New{TenantID: tenantID, UserID: userID, AppID: 1,
		SessionKey: "o0q0otL8aEzpcZL/FT9WsQ==", Idle: time.Hour, Absolute: 24 * time.Hour, IP: "10.0.0.1", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestCreateGet(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, keys := newStore(t, b)
		token := create(t, s, 1, 42)
		if !strings.HasPrefix(token, sessions.TokenPrefix) || len(token) != 48 {
			t.Fatalf("token %q has the wrong shape", token)
		}
		sess, err := s.Get(ctx, 1, token, policy)
		if err != nil || sess.UserID != 42 || sess.AppID != 1 {
			t.Fatalf("Get = %+v, %v", sess, err)
		}
		if key, err := s.SessionKey(sess); err != nil || key != "o0q0otL8aEzpcZL/FT9WsQ==" {
			t.Fatalf("SessionKey = %q, %v", key, err)
		}
		// Redis holds the hash of the token, never the token or the session_key.
		all := keys(":*")
		if len(all) != 2 {
			t.Fatalf("keys = %v, want the session and the user index (the login history is in MySQL)", all)
		}
		for _, k := range all {
			if strings.Contains(k, token[len(sessions.TokenPrefix):]) {
				t.Fatal("a Redis key contains the token")
			}
		}
		raw, _ := base64.RawURLEncoding.DecodeString(sessions.IDOf(token))
		if !slices.ContainsFunc(all, func(k string) bool { return strings.HasSuffix(k, ":t:1:S:"+string(raw)) }) {
			t.Fatalf("session not stored under the tenant namespace and the token's hash: %q", all)
		}

		for name, c := range map[string]struct {
			tenant int64
			token  string
			policy sessions.Policy
		}{
			"other tenant":       {2, token, policy},
			"forged":             {1, sessions.TokenPrefix + strings.Repeat("A", 43), policy},
			"garbage":            {1, "not a token", policy},
			"tenant epoch moved": {1, token, sessions.Policy{Idle: time.Hour, TenantEpoch: 1}},
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := s.Get(ctx, c.tenant, c.token, c.policy); !errors.Is(err, sessions.ErrNotFound) {
					t.Fatalf("Get = %v, want ErrNotFound", err)
				}
			})
		}
	})
}

func TestRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, keys := newStore(t, b)
		a1, a2, other := create(t, s, 1, 42), create(t, s, 1, 42), create(t, s, 1, 43)

		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != 2 || list[0].IP != "10.0.0.1" {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		if err := s.Revoke(ctx, 1, 42, sessions.IDOf(a1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, 1, a1, policy); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatal("revoked session still valid")
		}
		if _, err := s.Get(ctx, 1, a2, policy); err != nil {
			t.Fatal("revoking one session ended another")
		}
		create(t, s, 1, 42)
		n, err := s.RevokeUser(ctx, 1, 42)
		if err != nil || n != 2 {
			t.Fatalf("RevokeUser = %d, %v", n, err)
		}
		if _, err := s.Get(ctx, 1, a2, policy); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatal("session survived RevokeUser")
		}
		if _, err := s.Get(ctx, 1, other, policy); err != nil {
			t.Fatal("RevokeUser ended another user's session")
		}
		// Nothing of the user is left in Redis (its login history is in
		// MySQL, tenants/loginlog).
		if got := keys(":t:1:u:42:*"); len(got) != 0 {
			t.Fatalf("user index left behind: %v", got)
		}
	})
}

func TestIdleExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		now := time.Now()
		sessions.SetClock(s, func() time.Time { return now })
		token, _, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 1, AppID: 1, SessionKey: "k",
			Idle: 2 * time.Hour, Absolute: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		key := v3Key(t, prefix, 1, sessions.IDOf(token))
		if ttl := rdb.TTL(ctx, key).Val(); ttl <= time.Hour || ttl > 2*time.Hour {
			t.Fatalf("TTL after create = %v, want the idle lifetime", ttl)
		}
		ttlAfterUse := func(s *sessions.Store) time.Duration {
			t.Helper()
			if _, err := s.Get(ctx, 1, token, sessions.Policy{Idle: 2 * time.Hour}); err != nil {
				t.Fatal(err)
			}
			return rdb.TTL(ctx, key).Val()
		}
		// Used again within the slide step (72 s for two hours): not renewed.
		rdb.Expire(ctx, key, 90*time.Minute)
		now = now.Add(30 * time.Second)
		if ttl := ttlAfterUse(s); ttl > 90*time.Minute {
			t.Fatalf("TTL after a use within the step = %v: renewed early", ttl)
		}
		// An hour unused: renewed.
		now = now.Add(time.Hour)
		rdb.Expire(ctx, key, time.Hour)
		if ttl := ttlAfterUse(s); ttl <= time.Hour+30*time.Minute {
			t.Fatalf("TTL after use = %v: idle expiry did not slide", ttl)
		}
		// The record says when it was renewed, for every node: another
		// node using the session right after does not renew it again...
		other := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		sessions.SetClock(other, func() time.Time { return now.Add(time.Second) })
		rdb.Expire(ctx, key, time.Hour)
		if ttl := ttlAfterUse(other); ttl > time.Hour {
			t.Fatalf("TTL after another node's use right after = %v: renewed twice in a step", ttl)
		}
		// ... but a node whose clock is far behind the stamp renews it
		// rather than let it lapse.
		sessions.SetClock(other, func() time.Time { return now.Add(-time.Hour) })
		if ttl := ttlAfterUse(other); ttl <= time.Hour+30*time.Minute {
			t.Fatalf("TTL after a use by a node an hour behind = %v: not renewed", ttl)
		}
		rdb.Del(ctx, key) // what Redis does when the TTL runs out
		if _, err := s.Get(ctx, 1, token, sessions.Policy{Idle: 2 * time.Hour}); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatal("expired session still valid")
		}
	})
}

func TestAbsoluteExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _ := newStore(t, b)
		now := time.Now()
		sessions.SetClock(s, func() time.Time { return now })
		token, _, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 1, AppID: 1, SessionKey: "k",
			Idle: time.Hour, Absolute: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(119 * time.Minute)
		if _, err := s.Get(ctx, 1, token, policy); err != nil {
			t.Fatalf("session died before its absolute expiry: %v", err)
		}
		now = now.Add(2 * time.Minute) // used all along, but past its absolute lifetime
		if _, err := s.Get(ctx, 1, token, policy); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatal("session outlived its absolute expiry")
		}
	})
}

const (
	iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
		"Mobile/15E148 MicroMessenger/8.0.50(0x1800323b) NetType/WIFI Language/zh_CN"
	androidUA = "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 " +
		"(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 " +
		"MMWEBID/2307 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)

// The user's index keeps nothing but the session ids, so that it stays a
// compact listpack of about 20 bytes an entry; the record keeps the
// address, whole, and the device summary.
func TestUserIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		rdb, prefix := b.open(t)
		s := sessions.NewStore(rdb, prefix, tenantstest.Keyring(t))
		type want struct{ ip, device string }
		made := map[string]want{}
		for _, c := range []struct {
			ip, ua string
			want   want
		}{
			{"203.0.113.7", iPhoneUA, want{"203.0.113.7", "WeChat 8.0.50 iOS 17.5"}},
			{"0000:0000:0000:0000:0000:ffff:255.255.255.255", androidUA, want{"255.255.255.255", "WeChat 8.0.49 Android 14"}},
			{"2001:0db8:0000:0000:0000:0000:0000:0001", strings.Repeat("\xff|x", 300), want{"2001:db8::1", strings.Repeat("x ", 19) + "x"}},
			{"", "", want{"", ""}},
			{"not an address", "", want{"", ""}},
		} {
			_, sess, err := s.Create(ctx, sessions.New{TenantID: 1, UserID: 42, AppID: 1, SessionKey: "o0q0otL8aEzpcZL/FT9WsQ==",
				Idle: time.Hour, Absolute: 24 * time.Hour, IP: c.ip, UserAgent: c.ua})
			if err != nil {
				t.Fatal(err)
			}
			made[sess.ID] = c.want
		}
		ukey := prefix + ":t:1:u:42:s"
		for f, v := range rdb.HGetAll(ctx, ukey).Val() {
			if len(f) != 16 || v != "" {
				t.Errorf("index entry %q → %q: want the 16 id bytes and nothing", f, v)
			}
		}
		if enc := rdb.ObjectEncoding(ctx, ukey).Val(); enc != "listpack" {
			t.Fatalf("the user's index is a %s, want a listpack", enc)
		}
		list, err := s.ListUser(ctx, 1, 42)
		if err != nil || len(list) != len(made) {
			t.Fatalf("ListUser = %+v, %v", list, err)
		}
		for _, i := range list {
			if w := made[i.ID]; i.IP != w.ip || i.UserAgent != w.device || time.Since(i.IssuedAt) > time.Minute {
				t.Errorf("ListUser gave %+v, want %+v", i, w)
			}
		}
	})
}
