package tenants_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/memo"
	"miniauth/tenants/tenantstest"
)

func newRegistry(t *testing.T) *tenants.Registry {
	t.Helper()
	db, _ := tenantstest.DB(t)
	return tenants.NewRegistry(db, tenantstest.Keyring(t))
}

func TestRegistryCreate(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	secret := "s3cret-s3cret-s3cret-01"
	tn, err := reg.Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: secret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Status != tenants.StatusActive || len(tn.Apps) != 1 || !tn.Apps[0].IsDefault {
		t.Fatalf("created tenant = %+v", tn)
	}
	if string(tn.Apps[0].SecretSealed) == secret || tn.Apps[0].SecretKeyID == "" {
		t.Fatal("AppSecret not sealed, or no key id stored")
	}
	got, err := reg.Secret(&tn.Apps[0])
	if err != nil || got != secret {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	if tn.Settings.SessionIdle() != 7*24*time.Hour || tn.Settings.RegistrationPolicy() != tenants.RegistrationAuto {
		t.Fatalf("default settings = %+v", tn.Settings)
	}

	cases := []struct {
		name string
		in   tenants.NewTenant
		want error
	}{
		{"slug taken", tenants.NewTenant{Slug: "acme", Name: "x", AppID: "wxother00001", Secret: secret}, tenants.ErrSlugTaken},
		{"appid taken", tenants.NewTenant{Slug: "other", Name: "x", AppID: "wxacme000001", Secret: secret}, tenants.ErrAppIDTaken},
		{"bad slug", tenants.NewTenant{Slug: "A!", Name: "x", AppID: "wxother00002", Secret: secret}, tenants.ErrInvalid},
		{"bad appid", tenants.NewTenant{Slug: "other2", Name: "x", AppID: "nope", Secret: secret}, tenants.ErrInvalid},
		{"short secret", tenants.NewTenant{Slug: "other3", Name: "x", AppID: "wxother00003", Secret: "short"}, tenants.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := reg.Create(ctx, c.in); !errors.Is(err, c.want) {
				t.Fatalf("Create = %v, want %v", err, c.want)
			}
		})
	}
	list, err := reg.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %d tenants, %v; failed creates must leave nothing", len(list), err)
	}
}

func TestDisableRaisesEpoch(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	tn, err := reg.Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.SetStatus(ctx, tn.ID, tenants.StatusDisabled, audit.CLI); err != nil {
		t.Fatal(err)
	}
	got, _ := reg.ByID(ctx, tn.ID)
	if got.Active() || got.SessionEpoch != tn.SessionEpoch+1 {
		t.Fatalf("after disable: status %s epoch %d", got.Status, got.SessionEpoch)
	}
	if err := reg.SetStatus(ctx, 999999, tenants.StatusDisabled, audit.CLI); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("SetStatus(unknown) = %v", err)
	}
}

func TestCacheServesFromMemoryAndInvalidates(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	rdb, prefix := tenantstest.Redis(t)
	keys := tenantstest.Keyring(t)
	node := func() *tenants.Registry {
		return tenants.NewRegistry(db, keys, tenants.WithCache(tenantstest.Bus(t, rdb, prefix), tenants.CacheConfig{TTL: time.Hour, NegTTL: time.Hour}))
	}
	reg, other := node(), node()
	// The command line's registry: it keeps nothing (its bus never
	// listens) but announces its changes like any node.
	cli := tenants.NewRegistry(db, keys, tenants.WithCache(memo.NewBus(rdb, prefix, slog.New(slog.DiscardHandler)), tenants.CacheConfig{}))

	if _, err := other.Lookup(ctx, "acme"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("unknown slug = %v", err)
	}
	tn, err := reg.Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the creation did not reach the other node's negative entry", func() bool {
		got, err := other.Lookup(ctx, "acme")
		return err == nil && got.ID == tn.ID
	})
	if got, err := reg.Lookup(ctx, "acme"); err != nil || got.ID != tn.ID {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	// Changed behind the registries' backs, only memory answers.
	if _, err := db.ExecContext(ctx, "UPDATE tenants SET name = 'Renamed' WHERE id = ?", tn.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := other.Lookup(ctx, "acme"); got.Name != "Acme" {
		t.Fatalf("cache went to MySQL: name %q", got.Name)
	}
	reg.Invalidate(ctx, "acme")
	eventually(t, "invalidation did not reach the other node", func() bool {
		got, _ := other.Lookup(ctx, "acme")
		return got != nil && got.Name == "Renamed"
	})
	// A change committed by the command line reaches every node.
	name := "From the CLI"
	if err := cli.Update(ctx, tn.ID, tenants.Update{Name: &name, Actor: audit.CLI}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the CLI's change did not reach the nodes", func() bool {
		a, _ := reg.Lookup(ctx, "acme")
		b, _ := other.Lookup(ctx, "acme")
		return a != nil && b != nil && a.Name == name && b.Name == name
	})
}

// eventually waits up to 10s (milliseconds in practice; generous for a
// slow machine) for ok.
func eventually(t *testing.T, msg string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(msg + " within 10s")
		}
	}
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"acme": true, "a-1": true, "abc": true, "0123456789abcdefghijklmnopqrstuv": true,
		"ab": false, "0123456789abcdefghijklmnopqrstuvw": false, "": false,
		"Acme": false, "ac_me": false, "ac me": false, "acm\u00e9": false, "../x": false,
	} {
		if got := tenants.ValidSlug(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, got, want)
		}
	}
}
