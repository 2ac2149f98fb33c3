package sessions_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
)

// The per-request work of sessions, for `make bench`. Store benchmarks
// run against the real Redis (one round trip each); the others are CPU
// only.

func BenchmarkIDOf(b *testing.B) {
	token := "mas_" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH" // a v3 token: 44 characters
	b.ReportAllocs()
	for b.Loop() {
		if sessions.IDOf(token) == "" {
			b.Fatal("empty id")
		}
	}
}

func BenchmarkWellFormed(b *testing.B) {
	token := "mas_" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH" // a v3 token: 44 characters
	b.ReportAllocs()
	for b.Loop() {
		if !sessions.WellFormed(token) {
			b.Fatal("token refused")
		}
	}
}

func benchStore(b *testing.B) *sessions.Store {
	rdb, prefix := tenantstest.Redis(b)
	return sessions.NewStore(rdb, prefix, tenantstest.Keyring(b))
}

var benchNew = sessions.New{TenantID: 1, UserID: 42, AppID: 7, SessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
	Idle: 7 * 24 * time.Hour, Absolute: 30 * 24 * time.Hour, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 MicroMessenger/8.0.47"}

// BenchmarkCreate is a new session: a fresh token, the sealed session_key,
// one pipelined SET + HSET + EXPIRE.
func BenchmarkCreate(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := st.Create(ctx, benchNew); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet is the session lookup of every authenticated request:
// one GET (the idle expiry is renewed once a step), the record decoded.
func BenchmarkGet(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	token, _, err := st.Create(ctx, benchNew)
	if err != nil {
		b.Fatal(err)
	}
	p := sessions.Policy{Idle: benchNew.Idle}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Get(ctx, 1, token, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParallel is Get from many goroutines, as a busy server does.
func BenchmarkGetParallel(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	tokens := make([]string, 256)
	for i := range tokens {
		n := benchNew
		n.UserID = int64(i)
		var err error
		if tokens[i], _, err = st.Create(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	p := sessions.Policy{Idle: benchNew.Idle}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := st.Get(ctx, 1, tokens[i%len(tokens)], p); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkSessionKey opens the sealed WeChat session_key of a session.
func BenchmarkSessionKey(b *testing.B) {
	st := benchStore(b)
	_, sess, err := st.Create(context.Background(), benchNew)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.SessionKey(sess); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTokens(b *testing.B) (*sessions.AccessTokens, *tenants.Tenant) {
	db, _ := tenantstest.DB(b)
	ring := tenantstest.Keyring(b)
	tn, err := tenants.NewRegistry(db, ring).Create(context.Background(), tenants.NewTenant{
		Slug: "bench", Name: "Bench", AppID: "wxbench00001", Secret: "0123456789abcdef"})
	if err != nil {
		b.Fatal(err)
	}
	return sessions.NewAccessTokens(sessions.NewSigningKeys(db, ring, sessions.KeyPolicy{}, nil)), tn
}

func benchMint(tn *tenants.Tenant, i int) sessions.Mint {
	return sessions.Mint{TenantID: tn.ID, Issuer: "https://auth.example/t/" + tn.Slug, Audience: tn.Slug,
		Subject: "u_bench", SessionID: "sid" + strconv.Itoa(i), OpenID: "oOPENID", AppID: "wxbench00001"}
}

// BenchmarkJWTSign is an access token signed with the tenant's current key
// (the key itself comes from memory after the first call).
func BenchmarkJWTSign(b *testing.B) {
	at, tn := benchTokens(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := at.Issue(ctx, benchMint(tn, i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkJWTVerify checks an access token against the published keys.
func BenchmarkJWTVerify(b *testing.B) {
	at, tn := benchTokens(b)
	ctx := context.Background()
	tok, _, err := at.Issue(ctx, benchMint(tn, 0))
	if err != nil {
		b.Fatal(err)
	}
	want := sessions.Expect{TenantID: tn.ID, Issuer: "https://auth.example/t/" + tn.Slug, Audience: tn.Slug}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := at.Verify(ctx, tok, want); err != nil {
			b.Fatal(err)
		}
	}
}
