package tenants_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/tenantstest"
)

// TestOpenPlatformAppKinds: mobile applications and website applications
// (wechat-open-api.md §1.1, §2) are added, rotated and removed like official
// accounts, each with its own sealed AppSecret and an audit entry naming
// its kind, and found by t.MobileApp / t.Website.
func TestOpenPlatformAppKinds(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	reg := tenants.NewRegistry(db, tenantstest.Keyring(t))
	tn, err := reg.Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: "mini-program-secret-01", Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	adds := []struct {
		kind  string
		add   func(context.Context, int64, tenants.NewApp) error
		appid string
	}{
		{tenants.KindOfficialAccount, reg.AddOfficialAccount, "wxacmeoa0001"},
		{tenants.KindMobileApp, reg.AddMobileApp, "wxacmeapp001"},
		{tenants.KindMobileApp, reg.AddMobileApp, "wxacmeapp002"},
		{tenants.KindWebsite, reg.AddWebsite, "wxacmeweb001"},
	}
	for _, a := range adds {
		// IsDefault is ignored: only mini-programs are defaults.
		if err := a.add(ctx, tn.ID, tenants.NewApp{AppID: a.appid, Secret: "secret-of-" + a.appid, IsDefault: true, Actor: audit.CLI}); err != nil {
			t.Fatalf("add %s %s: %v", a.kind, a.appid, err)
		}
	}
	refused := []struct {
		name string
		n    tenants.NewApp
		want error
	}{
		{"appid taken by another kind", tenants.NewApp{AppID: "wxacme000001", Secret: "0123456789abcdef"}, tenants.ErrAppIDTaken},
		{"appid taken by the same kind", tenants.NewApp{AppID: "wxacmeweb001", Secret: "0123456789abcdef"}, tenants.ErrAppIDTaken},
		{"bad appid", tenants.NewApp{AppID: "nope", Secret: "0123456789abcdef"}, tenants.ErrInvalid},
		{"short secret", tenants.NewApp{AppID: "wxacmeweb009", Secret: "short"}, tenants.ErrInvalid},
	}
	for _, c := range refused {
		for _, add := range []func(context.Context, int64, tenants.NewApp) error{reg.AddMobileApp, reg.AddWebsite} {
			if err := add(ctx, tn.ID, c.n); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
	}
	if err := reg.AddWebsite(ctx, 999999, tenants.NewApp{AppID: "wxacmeweb008", Secret: "0123456789abcdef"}); !errors.Is(err, tenants.ErrNotFound) {
		t.Errorf("website of an unknown tenant: %v", err)
	}

	tn, err = reg.ByID(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	picks := []struct {
		name      string
		pick      func(string) (*tenants.App, error)
		appid     string
		want      string // "" = ErrAppUnknown
		wantKind  string
		wantNoDef bool
	}{
		{"first mobile app", tn.MobileApp, "", "wxacmeapp001", tenants.KindMobileApp, true},
		{"named mobile app", tn.MobileApp, "wxacmeapp002", "wxacmeapp002", tenants.KindMobileApp, true},
		{"website", tn.Website, "", "wxacmeweb001", tenants.KindWebsite, true},
		{"a website is no mobile app", tn.MobileApp, "wxacmeweb001", "", "", false},
		{"a mobile app is no website", tn.Website, "wxacmeapp001", "", "", false},
		{"a mobile app is no mini-program", tn.MiniProgram, "wxacmeapp001", "", "", false},
		{"an official account is no website", tn.Website, "wxacmeoa0001", "", "", false},
		{"the default is still the mini-program", tn.MiniProgram, "", "wxacme000001", tenants.KindMiniProgram, false},
	}
	for _, p := range picks {
		a, err := p.pick(p.appid)
		switch {
		case p.want == "" && !errors.Is(err, tenants.ErrAppUnknown):
			t.Errorf("%s: %v, %v; want ErrAppUnknown", p.name, a, err)
		case p.want != "" && (err != nil || a.AppID != p.want || a.Kind != p.wantKind || (p.wantNoDef && a.IsDefault)):
			t.Errorf("%s: %+v, %v; want %s (%s)", p.name, a, err, p.want, p.wantKind)
		}
	}

	web, _ := tn.Website("")
	if string(web.SecretSealed) == "secret-of-wxacmeweb001" || web.SecretKeyID == "" {
		t.Fatal("website AppSecret not sealed")
	}
	if got, err := reg.Secret(web); err != nil || got != "secret-of-wxacmeweb001" {
		t.Fatalf("website Secret = %q, %v", got, err)
	}
	if err := reg.RotateSecret(ctx, tn.ID, "wxacmeapp001", "rotated-mobile-secret", audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := reg.RemoveApp(ctx, tn.ID, "wxacmeweb001", audit.CLI); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, appid string
		want        error
	}{
		{"removed twice", "wxacmeweb001", tenants.ErrAppUnknown},
		{"the default mini-program", "wxacme000001", tenants.ErrInvalid},
	} {
		if err := reg.RemoveApp(ctx, tn.ID, c.appid, audit.CLI); !errors.Is(err, c.want) {
			t.Errorf("remove %s: %v, want %v", c.name, err, c.want)
		}
	}
	tn, _ = reg.ByID(ctx, tn.ID)
	if _, err := tn.Website(""); !errors.Is(err, tenants.ErrAppUnknown) {
		t.Fatalf("website after removal: %v", err)
	}
	app, _ := tn.MobileApp("wxacmeapp001")
	if got, err := reg.Secret(app); err != nil || got != "rotated-mobile-secret" {
		t.Fatalf("rotated Secret = %q, %v", got, err)
	}

	lines, err := audit.NewLog(db).List(ctx, audit.Filter{TenantID: tn.ID, Action: "app.", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // action target → kind
	for _, l := range lines {
		var d struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(l.Details, &d)
		got[l.Action+" "+l.TargetID] = d.Kind
	}
	want := map[string]string{
		"app.added wxacmeoa0001":          tenants.KindOfficialAccount,
		"app.added wxacmeapp001":          tenants.KindMobileApp,
		"app.added wxacmeapp002":          tenants.KindMobileApp,
		"app.added wxacmeweb001":          tenants.KindWebsite,
		"app.secret_rotated wxacmeapp001": "",
		"app.removed wxacmeweb001":        tenants.KindWebsite,
	}
	for k, kind := range want {
		if g, ok := got[k]; !ok || g != kind {
			t.Errorf("audit %q: kind %q (present %v), want %q", k, g, ok, kind)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit lines %v, want exactly %v", got, want)
	}
}
