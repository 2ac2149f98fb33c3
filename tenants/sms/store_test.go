package sms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/sms"
	"miniauth/tenants/tenantstest"
)

func TestSettingsStore(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	keys := tenantstest.Keyring(t)
	reg := tenants.NewRegistry(db, keys)
	a, err := reg.Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001", Secret: "0123456789abcdef", Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	b, err := reg.Create(ctx, tenants.NewTenant{Slug: "beta", Name: "Beta", AppID: "wxbeta000001", Secret: "0123456789abcdef", Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	store := sms.NewStore(db, keys)
	if _, err := store.Get(ctx, a.ID); !errors.Is(err, sms.ErrNotFound) {
		t.Fatalf("before Put: %v", err)
	}
	in := sms.Settings{Provider: sms.Tencent, AccessKeyID: "AKIDexample", Secret: "tc-secret-key", SDKAppID: "1400000001",
		SignName: "迷你认证", TemplateID: "100001"}
	got, err := store.Put(ctx, a.ID, in, audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != "" || !got.SecretSet || strings.Join(got.AllowedPrefixes, ",") != "+86" || got.Limits.WithDefaults().TenantPerDay != 1000 {
		t.Fatalf("after Put: %+v", got)
	}
	if loaded, err := store.Load(ctx, a.ID); err != nil || loaded.Secret != "tc-secret-key" {
		t.Fatalf("Load: %+v %v", loaded, err)
	}
	// The secret is never stored in the clear.
	var raw []byte
	if err := db.Get(&raw, `SELECT secret_sealed FROM sms_settings WHERE tenant_id = ?`, a.ID); err != nil || strings.Contains(string(raw), "tc-secret-key") {
		t.Fatalf("stored secret: %v", err)
	}
	// An update without the secret keeps it; a new key id needs one.
	in.Secret, in.SignName, in.Limits.TenantPerDay = "", "新签名", 50
	if _, err := store.Put(ctx, a.ID, in, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if loaded, err := store.Load(ctx, a.ID); err != nil || loaded.Secret != "tc-secret-key" || loaded.SignName != "新签名" || loaded.Limits.TenantPerDay != 50 {
		t.Fatalf("after an update without secret: %+v %v", loaded, err)
	}
	in.AccessKeyID = "AKIDother"
	if _, err := store.Put(ctx, a.ID, in, audit.CLI); !errors.Is(err, tenants.ErrInvalid) {
		t.Fatalf("a new key id without a secret: %v", err)
	}
	// A sealed secret copied to another tenant's row does not open.
	if _, err := store.Put(ctx, b.ID, sms.Settings{Provider: sms.Aliyun, AccessKeyID: "AKIDexample", Secret: "x",
		SignName: "迷你认证", TemplateID: "SMS_1"}, audit.CLI); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE sms_settings t JOIN sms_settings s ON s.tenant_id = ? SET t.secret_sealed = s.secret_sealed,
		t.secret_key_id = s.secret_key_id, t.provider = s.provider WHERE t.tenant_id = ?`, a.ID, b.ID)
	if _, err := store.Load(ctx, b.ID); !errors.Is(err, keyring.ErrUnseal) {
		t.Fatalf("a copied secret: %v", err)
	}
	var audits int
	if err := db.Get(&audits, `SELECT COUNT(*) FROM audit_log WHERE tenant_id = ? AND action = 'sms.settings_updated'`, a.ID); err != nil || audits != 2 {
		t.Fatalf("audit entries: %d %v", audits, err)
	}
	if err := store.Delete(ctx, a.ID, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, a.ID, audit.CLI); !errors.Is(err, sms.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := sms.Settings{Provider: sms.Tencent, AccessKeyID: "AKIDexample", Secret: "s", SDKAppID: "1400000001", SignName: "迷你认证", TemplateID: "1"}
	if err := ok.Validate(true); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*sms.Settings){
		"provider":        func(s *sms.Settings) { s.Provider = "twilio" },
		"no secret":       func(s *sms.Settings) { s.Secret = "" },
		"sdk app id":      func(s *sms.Settings) { s.SDKAppID = "abc" },
		"template":        func(s *sms.Settings) { s.TemplateID = "SMS_1" },
		"sign":            func(s *sms.Settings) { s.SignName = "【x】" },
		"prefix":          func(s *sms.Settings) { s.AllowedPrefixes = []string{"86"} },
		"params":          func(s *sms.Settings) { s.TemplateParams = []string{"minutes"} },
		"negative budget": func(s *sms.Settings) { s.Limits.PhonePerDay = -1 },
		"absurd cap":      func(s *sms.Settings) { s.Limits.TenantPerDay = 1 << 30 },
		"key id":          func(s *sms.Settings) { s.AccessKeyID = "has space" },
		"aliyun template": func(s *sms.Settings) { s.Provider, s.SDKAppID = sms.Aliyun, "" },
	}
	for name, mut := range cases {
		s := ok
		mut(&s)
		if err := s.Validate(true); !errors.Is(err, tenants.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
