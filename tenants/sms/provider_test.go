package sms_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"miniauth/tenants/sms"
	"miniauth/tenants/sms/smstest"
)

// fixture is a simulator with one account of each provider.
type fixture struct {
	sim *smstest.Server
	url string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim := smstest.New(smstest.Options{})
	sim.AddTencent("AKIDtest0000000000000000000000000000", "tencent-secret-key-0123456789", "1400000001")
	sim.AddAliyun("LTAItest00000000", "aliyun-access-key-secret-0123")
	sim.AddSign("迷你认证")
	sim.AddTemplate("100001", "{1}为您的登录验证码，请于{2}分钟内填写。")
	sim.AddTemplate("SMS_100001", "您的验证码为：${code}，该验证码5分钟内有效。")
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &fixture{sim: sim, url: srv.URL}
}

func (f *fixture) tencent(t *testing.T, mut func(*sms.TencentConfig)) sms.Provider {
	t.Helper()
	cfg := sms.TencentConfig{SecretID: "AKIDtest0000000000000000000000000000", SecretKey: "tencent-secret-key-0123456789",
		SDKAppID: "1400000001", SignName: "迷你认证", TemplateID: "100001", Endpoint: f.url}
	if mut != nil {
		mut(&cfg)
	}
	p, err := sms.NewTencent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) aliyun(t *testing.T, mut func(*sms.AliyunConfig)) sms.Provider {
	t.Helper()
	cfg := sms.AliyunConfig{AccessKeyID: "LTAItest00000000", AccessKeySecret: "aliyun-access-key-secret-0123",
		SignName: "迷你认证", TemplateCode: "SMS_100001", Endpoint: f.url}
	if mut != nil {
		mut(&cfg)
	}
	p, err := sms.NewAliyun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProvidersRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.tencent(t, nil).Send(ctx, "+8613800138000", []string{"123456", "5"}); err != nil {
		t.Fatalf("tencent: %v", err)
	}
	if err := f.aliyun(t, nil).Send(ctx, "+8613900139000", []string{"654321", "5"}); err != nil {
		t.Fatalf("aliyun: %v", err)
	}
	if got := f.sim.Inbox("+8613800138000"); len(got) != 1 || got[0].Code != "123456" || got[0].Text != "【迷你认证】123456为您的登录验证码，请于5分钟内填写。" {
		t.Fatalf("tencent inbox: %+v", got)
	}
	if got := f.sim.Inbox("+8613900139000"); len(got) != 1 || got[0].Code != "654321" || got[0].Provider != "aliyun" {
		t.Fatalf("aliyun inbox: %+v", got)
	}
}

func TestWrongKeyRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.tencent(t, func(c *sms.TencentConfig) { c.SecretKey = "not-the-key" }).Send(ctx, "+8613800138000", []string{"123456", "5"})
	var pe *sms.ProviderError
	if !errors.As(err, &pe) || pe.Code != "AuthFailure.SignatureFailure" || !errors.Is(err, sms.ErrMisconfigured) {
		t.Fatalf("tencent with a wrong key: %v", err)
	}
	err = f.aliyun(t, func(c *sms.AliyunConfig) { c.AccessKeySecret = "not-the-secret" }).Send(ctx, "+8613800138000", []string{"123456"})
	if !errors.As(err, &pe) || pe.Code != "SignatureDoesNotMatch" || !errors.Is(err, sms.ErrMisconfigured) {
		t.Fatalf("aliyun with a wrong secret: %v", err)
	}
	if n := len(f.sim.Inbox("+8613800138000")); n != 0 {
		t.Fatalf("%d messages delivered on bad signatures", n)
	}
}

// Every error the simulator can be made to answer reaches the caller as
// the typed error the sign-in core maps.
func TestInjectedErrorsMap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		provider, code string
		want           error
	}{
		{"tencent", "AuthFailure.SignatureFailure", sms.ErrMisconfigured},
		{"tencent", "LimitExceeded.PhoneNumberDailyLimit", sms.ErrProviderLimit},
		{"tencent", "LimitExceeded.PhoneNumberThirtySecondLimit", sms.ErrProviderLimit},
		{"tencent", "InvalidParameterValue.IncorrectPhoneNumber", sms.ErrInvalidNumber},
		{"tencent", "FailedOperation.InsufficientBalanceInSmsPackage", sms.ErrNoBalance},
		{"tencent", "UnauthorizedOperation.SerivceSuspendDueToArrears", sms.ErrNoBalance},
		{"tencent", "FailedOperation.SignatureIncorrectOrUnapproved", sms.ErrMisconfigured},
		{"tencent", "FailedOperation.TemplateUnapprovedOrNotExist", sms.ErrMisconfigured},
		{"tencent", "InternalError.Timeout", sms.ErrUnavailable},
		{"tencent", "RequestLimitExceeded", sms.ErrUnavailable},
		{"aliyun", "SignatureDoesNotMatch", sms.ErrMisconfigured},
		{"aliyun", "InvalidAccessKeyId.NotFound", sms.ErrMisconfigured},
		{"aliyun", "isv.BUSINESS_LIMIT_CONTROL", sms.ErrProviderLimit},
		{"aliyun", "isv.DAY_LIMIT_CONTROL", sms.ErrProviderLimit},
		{"aliyun", "isv.MOBILE_NUMBER_ILLEGAL", sms.ErrInvalidNumber},
		{"aliyun", "isv.AMOUNT_NOT_ENOUGH", sms.ErrNoBalance},
		{"aliyun", "isv.SMS_SIGNATURE_ILLEGAL", sms.ErrMisconfigured},
		{"aliyun", "isv.SMS_TEMPLATE_ILLEGAL", sms.ErrMisconfigured},
		{"aliyun", "isp.SYSTEM_ERROR", sms.ErrUnavailable},
		{"aliyun", "Throttling.User", sms.ErrUnavailable},
		{"aliyun", "ServiceUnavailable", sms.ErrUnavailable},
	}
	providers := map[string]sms.Provider{"tencent": f.tencent(t, nil), "aliyun": f.aliyun(t, nil)}
	for _, c := range cases {
		t.Run(c.provider+" "+c.code, func(t *testing.T) {
			f.sim.Inject(smstest.Fault{Provider: c.provider, Code: c.code})
			err := providers[c.provider].Send(ctx, "+8613700137000", []string{"123456", "5"})
			var pe *sms.ProviderError
			if !errors.Is(err, c.want) || !errors.As(err, &pe) || pe.Code != c.code || pe.RequestID == "" {
				t.Fatalf("got %v, want %v with code %s and a request id", err, c.want, c.code)
			}
		})
	}
	if n := len(f.sim.Inbox("+8613700137000")); n != 0 {
		t.Fatalf("%d messages delivered under faults", n)
	}
	// A fault is spent: the next send goes through.
	if err := providers["tencent"].Send(ctx, "+8613700137000", []string{"123456", "5"}); err != nil {
		t.Fatal(err)
	}
}

// The simulator's own checks answer the providers' real codes.
func TestSimulatorRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		name string
		p    sms.Provider
		to   string
		code string
	}{
		{"tencent unknown sign", f.tencent(t, func(c *sms.TencentConfig) { c.SignName = "别人的签名" }), "+8613800000001", "FailedOperation.SignatureIncorrectOrUnapproved"},
		{"tencent unknown template", f.tencent(t, func(c *sms.TencentConfig) { c.TemplateID = "999" }), "+8613800000002", "FailedOperation.TemplateUnapprovedOrNotExist"},
		{"tencent unknown app", f.tencent(t, func(c *sms.TencentConfig) { c.SDKAppID = "1400999999" }), "+8613800000003", "InvalidParameterValue.SdkAppIdNotExist"},
		{"tencent unknown secret id", f.tencent(t, func(c *sms.TencentConfig) { c.SecretID = "AKIDnobody" }), "+8613800000004", "AuthFailure.SecretIdNotFound"},
		{"tencent bad number", f.tencent(t, nil), "+8612345", "InvalidParameterValue.IncorrectPhoneNumber"},
		{"aliyun unknown sign", f.aliyun(t, func(c *sms.AliyunConfig) { c.SignName = "别人的签名" }), "+8613800000005", "isv.SMS_SIGNATURE_ILLEGAL"},
		{"aliyun unknown template", f.aliyun(t, func(c *sms.AliyunConfig) { c.TemplateCode = "SMS_9" }), "+8613800000006", "isv.SMS_TEMPLATE_ILLEGAL"},
		{"aliyun unknown key", f.aliyun(t, func(c *sms.AliyunConfig) { c.AccessKeyID = "LTAInobody" }), "+8613800000007", "InvalidAccessKeyId.NotFound"},
		{"aliyun missing variable", f.aliyun(t, func(c *sms.AliyunConfig) { c.ParamNames = []string{"otp"} }), "+8613800000008", "isv.TEMPLATE_MISSING_PARAMETERS"},
		{"aliyun bad number", f.aliyun(t, nil), "+86123", "isv.MOBILE_NUMBER_ILLEGAL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Send(ctx, c.to, []string{"123456", "5"})
			var pe *sms.ProviderError
			if !errors.As(err, &pe) || pe.Code != c.code {
				t.Fatalf("got %v, want code %s", err, c.code)
			}
		})
	}
	// The providers' own per-number limits.
	tc, ali := f.tencent(t, nil), f.aliyun(t, nil)
	if err := tc.Send(ctx, "+8613600136000", []string{"111111", "5"}); err != nil {
		t.Fatal(err)
	}
	if err := tc.Send(ctx, "+8613600136000", []string{"111111", "5"}); !errors.Is(err, sms.ErrProviderLimit) {
		t.Fatalf("same content within 30s: %v", err)
	}
	if err := ali.Send(ctx, "+8613600136001", []string{"222222"}); err != nil {
		t.Fatal(err)
	}
	if err := ali.Send(ctx, "+8613600136001", []string{"333333"}); !errors.Is(err, sms.ErrProviderLimit) {
		t.Fatalf("two within a minute: %v", err)
	}
}

// A provider that never answers: both clients give up at their timeout
// with ErrUnavailable. The server holds every request until the test ends,
// so the outcome does not depend on the machine's speed.
func TestProviderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	tc, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKID", SecretKey: "k", SDKAppID: "1400000001", SignName: "演示",
		TemplateID: "1", Endpoint: srv.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ali, err := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "LTAI", AccessKeySecret: "s", SignName: "演示",
		TemplateCode: "SMS_1", Endpoint: srv.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]sms.Provider{"tencent": tc, "aliyun": ali} {
		if err := p.Send(context.Background(), "+8613800138000", []string{"123456", "5"}); !errors.Is(err, sms.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
}
