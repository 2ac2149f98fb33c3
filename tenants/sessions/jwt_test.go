package sessions_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type keysEnv struct {
	db     *sqlx.DB
	clock  *fakeClock
	keys   *sessions.SigningKeys
	tokens *sessions.AccessTokens
	a, b   *tenants.Tenant
}

func newKeysEnv(t *testing.T, p sessions.KeyPolicy) *keysEnv {
	t.Helper()
	db, _ := tenantstest.DB(t)
	ring := tenantstest.Keyring(t)
	reg := tenants.NewRegistry(db, ring)
	e := &keysEnv{db: db, clock: &fakeClock{now: time.Now().Truncate(time.Second)}}
	var err error
	if e.a, err = reg.Create(context.Background(), tenants.NewTenant{Slug: "alpha", Name: "A", AppID: "wxalpha00001", Secret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if e.b, err = reg.Create(context.Background(), tenants.NewTenant{Slug: "bravo", Name: "B", AppID: "wxbravo00001", Secret: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	e.keys = sessions.NewSigningKeys(db, ring, p, e.clock.Now)
	e.tokens = sessions.NewAccessTokens(e.keys)
	return e
}

func (e *keysEnv) mint(t *testing.T, tn *tenants.Tenant) string {
	t.Helper()
	tok, _, err := e.tokens.Issue(context.Background(), sessions.Mint{TenantID: tn.ID,
		Issuer: "https://auth.example/t/" + tn.Slug, Audience: tn.Slug, Subject: "u_1", SessionID: "sid",
		OpenID: "oOPEN", AppID: "wxapp"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func expect(tn *tenants.Tenant) sessions.Expect {
	return sessions.Expect{TenantID: tn.ID, Issuer: "https://auth.example/t/" + tn.Slug, Audience: tn.Slug}
}

func TestAccessTokenVerification(t *testing.T) {
	for _, alg := range []string{sessions.AlgES256, sessions.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			ctx := context.Background()
			e := newKeysEnv(t, sessions.KeyPolicy{Alg: alg})
			tok := e.mint(t, e.a)
			head, _, _ := strings.Cut(tok, ".")
			if !strings.Contains(decodeSeg(t, head), `"alg":"`+alg+`"`) || !strings.Contains(decodeSeg(t, head), `"kid"`) {
				t.Fatalf("header = %s", decodeSeg(t, head))
			}
			c, err := e.tokens.Verify(ctx, tok, expect(e.a))
			if err != nil || c.Subject != "u_1" || c.OpenID != "oOPEN" || c.SessionID != "sid" || c.ID == "" {
				t.Fatalf("Verify = %+v, %v", c, err)
			}
			if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != 15*time.Minute {
				t.Fatalf("lifetime %v, want 15m", got)
			}
			parts := strings.Split(tok, ".")
			bad := map[string]struct {
				token string
				want  sessions.Expect
			}{
				"other tenant's token":    {e.mint(t, e.b), expect(e.a)},
				"other tenant's key":      {e.mint(t, e.b), func() sessions.Expect { x := expect(e.b); x.TenantID = e.a.ID; return x }()},
				"wrong audience":          {tok, sessions.Expect{TenantID: e.a.ID, Issuer: expect(e.a).Issuer, Audience: "bravo"}},
				"wrong issuer":            {tok, sessions.Expect{TenantID: e.a.ID, Issuer: "https://evil.example/t/alpha", Audience: "alpha"}},
				"tampered payload":        {parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2], expect(e.a)},
				"signature of other":      {parts[0] + "." + parts[1] + "." + strings.Split(e.mint(t, e.a), ".")[2][:10] + parts[2][10:], expect(e.a)},
				"alg none":                {noneToken(parts[1]), expect(e.a)},
				"HS256 with a public key": {hsToken(t, e), expect(e.a)},
				"garbage":                 {"not.a.jwt", expect(e.a)},
			}
			for name, sc := range bad {
				if _, err := e.tokens.Verify(ctx, sc.token, sc.want); !errors.Is(err, sessions.ErrBadAccessToken) {
					t.Errorf("%s: Verify err = %v, want ErrBadAccessToken", name, err)
				}
			}
			e.clock.Add(16 * time.Minute)
			if _, err := e.tokens.Verify(ctx, tok, expect(e.a)); !errors.Is(err, sessions.ErrBadAccessToken) {
				t.Fatalf("expired token: %v", err)
			}
		})
	}
}

func decodeSeg(t *testing.T, s string) string {
	t.Helper()
	b, err := jwt.NewParser().DecodeSegment(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noneToken(payload string) string {
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."
}

// hsToken signs payload with HS256 keyed by the tenant's public key bytes:
// the classic algorithm-confusion attack.
func hsToken(t *testing.T, e *keysEnv) string {
	t.Helper()
	keys, err := e.keys.Published(context.Background(), e.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{"iss": expect(e.a).Issuer, "aud": "alpha", "sub": "u_1", "sid": "x",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = keys[0].KID
	s, err := tok.SignedString(keys[0].PublicDER)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kids(keys []sessions.SigningKey) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[k.KID] = k.State
	}
	return m
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	e := newKeysEnv(t, sessions.KeyPolicy{PublishLead: 10 * time.Minute, CacheTTL: time.Nanosecond})
	old := e.mint(t, e.a)
	first, err := e.keys.Published(ctx, e.a.ID)
	if err != nil || len(first) != 2 {
		t.Fatalf("a new tenant publishes %d keys (%v), want current and next", len(first), err)
	}
	var cur, next string
	for _, k := range first {
		if k.State == sessions.KeyCurrent {
			cur = k.KID
		} else {
			next = k.KID
		}
	}

	// The next key was published just now: a verifier may not have it yet.
	if _, err := e.keys.Rotate(ctx, e.a.ID, "", audit.CLI); !errors.Is(err, sessions.ErrRotationTooSoon) {
		t.Fatalf("rotation with a fresh next key: %v", err)
	}
	e.clock.Add(11 * time.Minute)
	rot, err := e.keys.Rotate(ctx, e.a.ID, sessions.AlgEdDSA, audit.CLI)
	if err != nil || rot.Current != next || rot.Retired != cur || rot.Next == "" {
		t.Fatalf("Rotate = %+v, %v (current was %s, next %s)", rot, err, cur, next)
	}
	after, _ := e.keys.Published(ctx, e.a.ID)
	if got := kids(after); got[cur] != sessions.KeyRetired || got[next] != sessions.KeyCurrent || got[rot.Next] != sessions.KeyNext {
		t.Fatalf("keys after rotation: %v", got)
	}
	// Tokens of the retired key keep verifying until they expire; new
	// ones are signed by the promoted key.
	if _, err := e.tokens.Verify(ctx, old, expect(e.a)); err != nil {
		t.Fatalf("token of the retired key: %v", err)
	}
	fresh := e.mint(t, e.a)
	head, _, _ := strings.Cut(fresh, ".")
	if !strings.Contains(decodeSeg(t, head), next) {
		t.Fatalf("new token not signed by the promoted key: %s", decodeSeg(t, head))
	}
	// The retired key leaves the JWKS once every token it signed is dead.
	e.clock.Add(20 * time.Minute)
	if got := kids(mustPublished(t, e, e.a)); got[cur] != "" || len(got) != 2 {
		t.Fatalf("keys after the grace period: %v", got)
	}
	if _, err := e.tokens.Verify(ctx, old, expect(e.a)); err == nil {
		t.Fatal("a token of a removed key still verifies")
	}
	var alg string
	if err := e.db.Get(&alg, `SELECT alg FROM signing_keys WHERE kid = ?`, rot.Next); err != nil || alg != sessions.AlgEdDSA {
		t.Fatalf("next key alg = %q, %v", alg, err)
	}
	// The other tenant was untouched, and an audit line was written.
	if got := kids(mustPublished(t, e, e.b)); len(got) != 2 {
		t.Fatalf("tenant b keys: %v", got)
	}
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM audit_log WHERE action = 'signing_key.rotated' AND tenant_id = ?`, e.a.ID); err != nil || n != 1 {
		t.Fatalf("audit rows = %d, %v", n, err)
	}
}

func mustPublished(t *testing.T, e *keysEnv, tn *tenants.Tenant) []sessions.SigningKey {
	t.Helper()
	keys, err := e.keys.Published(context.Background(), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestScheduledRotationAndConcurrentBootstrap(t *testing.T) {
	ctx := context.Background()
	e := newKeysEnv(t, sessions.KeyPolicy{RotateEvery: 24 * time.Hour, CacheTTL: time.Nanosecond})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = e.keys.Published(ctx, e.a.ID) }()
	}
	wg.Wait()
	var n int
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ?`, e.a.ID); err != nil || n != 2 {
		t.Fatalf("concurrent first use made %d keys, want 2 (%v)", n, err)
	}
	if rotated, err := e.keys.RotateDue(ctx); err != nil || rotated != 0 {
		t.Fatalf("RotateDue on fresh keys = %d, %v", rotated, err)
	}
	e.clock.Add(25 * time.Hour)
	if rotated, err := e.keys.RotateDue(ctx); err != nil || rotated != 1 {
		t.Fatalf("RotateDue after a day = %d, %v", rotated, err)
	}
	if got := kids(mustPublished(t, e, e.a)); len(got) != 3 {
		t.Fatalf("after scheduled rotation: %v", got)
	}
	e.clock.Add(49 * time.Hour)
	if _, err := e.keys.RotateDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Get(&n, `SELECT COUNT(*) FROM signing_keys WHERE tenant_id = ? AND state = 'retired'`, e.a.ID); err != nil || n != 1 {
		t.Fatalf("retired keys kept = %d (%v), want only the latest", n, err)
	}
}
