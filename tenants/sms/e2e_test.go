package sms_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
	"miniauth/tenants/sms/smstest"
	"miniauth/tenants/tenantstest"
)

// From settings in MySQL to the simulator's inbox and back, with both
// providers, over HTTP; every log line at debug level, the standard
// logger's included, is kept and scanned: no code, SecretKey or AccessKey
// secret appears in it.
func TestSendThroughSimulatorLogsNoSecret(t *testing.T) {
	ctx := context.Background()
	logs := &tenantstest.SyncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	f := newFixture(t)
	db, _ := tenantstest.DB(t)
	keys := tenantstest.Keyring(t)
	tn, err := tenants.NewRegistry(db, keys).Create(ctx, tenants.NewTenant{Slug: "acme", Name: "Acme", AppID: "wxacme000001",
		Secret: "0123456789abcdef", Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	store := sms.NewStore(db, keys)
	rdb, prefix := tenantstest.Redis(t)
	sender := sms.NewSender(sms.SenderConfig{Settings: store, Codes: sms.NewCodes(rdb, prefix, keys.DeriveKey("sms-code")),
		Budgets: sms.NewBudgets(rdb, prefix, nil), Endpoints: sms.Endpoints{Tencent: f.url, Aliyun: f.url}, Logger: logger})

	const tcKey, aliSecret = "tencent-secret-key-0123456789", "aliyun-access-key-secret-0123"
	tencent := sms.Settings{Provider: sms.Tencent, AccessKeyID: "AKIDtest0000000000000000000000000000", Secret: tcKey,
		SDKAppID: "1400000001", SignName: "迷你认证", TemplateID: "100001"}
	aliyun := sms.Settings{Provider: sms.Aliyun, AccessKeyID: "LTAItest00000000", Secret: aliSecret,
		SignName: "迷你认证", TemplateID: "SMS_100001"}
	var codes []string
	for i, st := range []sms.Settings{tencent, aliyun} {
		if _, err := store.Put(ctx, tn.ID, st, audit.CLI); err != nil {
			t.Fatal(err)
		}
		phone := []string{"+8613800138000", "+8613900139000"}[i]
		exp, resend, err := sender.Send(ctx, tn.ID, phone, sms.PurposeLogin, "10.0.0.1")
		if err != nil || exp != sms.CodeTTL || resend <= 0 {
			t.Fatalf("%s: %s %s %v", st.Provider, exp, resend, err)
		}
		code := f.sim.LastCode(phone)
		if len(code) != 6 {
			t.Fatalf("%s: inbox %+v", st.Provider, f.sim.Inbox(phone))
		}
		codes = append(codes, code)
		if got, err := sender.Verify(ctx, tn.ID, phone, sms.PurposeLogin, code); err != nil || got != phone {
			t.Fatalf("%s: verify: %q %v", st.Provider, got, err)
		}
		// An injected refusal, then a wrong key: both fail and are logged.
		f.sim.Inject(smstest.Fault{Provider: st.Provider, Code: map[string]string{sms.Tencent: "LimitExceeded.PhoneNumberDailyLimit",
			sms.Aliyun: "isv.AMOUNT_NOT_ENOUGH"}[st.Provider]})
		if _, _, err := sender.Send(ctx, tn.ID, fmt.Sprintf("+86137001370%02d", i), sms.PurposeBind, "10.0.0.2"); err == nil {
			t.Fatalf("%s: an injected fault did not fail", st.Provider)
		}
		st.Secret = "the-wrong-secret"
		if _, err := store.Put(ctx, tn.ID, st, audit.CLI); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sender.Send(ctx, tn.ID, fmt.Sprintf("+86136001360%02d", i), sms.PurposeLogin, "10.0.0.3"); !errors.Is(err, sms.ErrMisconfigured) {
			t.Fatalf("%s with a wrong secret: %v", st.Provider, err)
		}
	}
	if n := len(f.sim.Inbox("+8613700137000")) + len(f.sim.Inbox("+8613700137001")); n != 0 {
		t.Fatalf("%d messages delivered under faults", n)
	}
	out := logs.String()
	if strings.Count(out, "sms code sent") != 2 || strings.Count(out, "sms send failed") != 4 {
		t.Fatalf("the logs were not captured:\n%s", out)
	}
	for _, secret := range append(codes, tcKey, aliSecret, "the-wrong-secret") {
		if strings.Contains(out, secret) {
			t.Fatalf("%q appears in the logs:\n%s", secret, out)
		}
	}
	if strings.Contains(out, "13800138000") {
		t.Fatalf("an unmasked phone in the logs:\n%s", out)
	}
}
