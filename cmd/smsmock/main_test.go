package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"miniauth/cmd/internal/simserve"
	"miniauth/tenants/sms"
	"miniauth/tenants/tenantstest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const (
	tcKey     = "tencent-key-must-stay-quiet"
	aliSecret = "aliyun-secret-must-stay-quiet"
)

// The binary's simulator, served over HTTP, takes both providers' clients,
// refuses a wrong key, and shows the inbox; neither secrets nor codes are
// logged.
func TestServeBothProviders(t *testing.T) {
	var logs tenantstest.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	cfg, err := parseConfig([]string{"--sign", "演示", "--template", "100001={1}为您的验证码，{2}分钟内有效。", "--template", "SMS_1=验证码${code}"},
		env(map[string]string{"SMSMOCK_TENCENT": "AKIDa:" + tcKey + ":1400000001", "SMSMOCK_ALIYUN": "LTAIa:" + aliSecret}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- simserve.Serve(ctx, ln, simserve.LogRequests(logger, newSimulator(cfg, logger).Handler()), logger)
	}()

	tc, _ := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDa", SecretKey: tcKey, SDKAppID: "1400000001", SignName: "演示",
		TemplateID: "100001", Endpoint: base})
	ali, _ := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "LTAIa", AccessKeySecret: aliSecret, SignName: "演示",
		TemplateCode: "SMS_1", Endpoint: base})
	bad, _ := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "LTAIa", AccessKeySecret: "wrong", SignName: "演示",
		TemplateCode: "SMS_1", Endpoint: base})
	bg := context.Background()
	if err := tc.Send(bg, "+8613800138000", []string{"135790", "5"}); err != nil {
		t.Fatal(err)
	}
	if err := ali.Send(bg, "+8613800138000", []string{"246801"}); err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(bg, "+8613800138000", []string{"999999"}); !errors.Is(err, sms.ErrMisconfigured) {
		t.Fatalf("a wrong secret: %v", err)
	}
	resp, err := http.Get(base + "/mock/sms?phone=%2B8613800138000")
	if err != nil {
		t.Fatal(err)
	}
	var inbox struct {
		Messages []struct{ Provider, Text, Code string }
	}
	err = json.NewDecoder(resp.Body).Decode(&inbox)
	resp.Body.Close()
	if err != nil || len(inbox.Messages) != 2 || inbox.Messages[0].Code != "246801" || inbox.Messages[0].Text != "【演示】验证码246801" ||
		inbox.Messages[1].Code != "135790" || inbox.Messages[1].Provider != "tencent" {
		t.Fatalf("inbox: %+v %v", inbox, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	out := logs.String()
	if !strings.Contains(out, "path=/mock/sms status=200") || !strings.Contains(out, "secret_id=AKIDa") {
		t.Errorf("not logged: %s", out)
	}
	for _, s := range []string{tcKey, aliSecret, "135790", "246801", "13800138000"} {
		if strings.Contains(out, s) {
			t.Errorf("%q was logged: %s", s, out)
		}
	}
}

func TestRunStopsAndLogsNoSecret(t *testing.T) {
	var logs tenantstest.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // run listens, logs, and returns at once
	err := run(ctx, []string{"--addr", "127.0.0.1:0", "--verbose", "--aliyun", "LTAIb:" + aliSecret},
		env(map[string]string{"SMSMOCK_TENCENT": "AKIDb:" + tcKey + ":1400000002"}), &logs)
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "smsmock listening") || !strings.Contains(out, "access_key_id=LTAIb") {
		t.Errorf("startup not logged: %s", out)
	}
	if strings.Contains(out, tcKey) || strings.Contains(out, aliSecret) {
		t.Errorf("a secret was logged: %s", out)
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
	}{
		{nil, nil},
		{[]string{"--tencent", "AKID:" + tcKey}, nil},
		{[]string{"--tencent", "AKID:" + tcKey + ":app"}, nil},
		{nil, map[string]string{"SMSMOCK_ALIYUN": "LTAI"}},
		{[]string{"--template", "nope"}, map[string]string{"SMSMOCK_ALIYUN": "LTAI:" + aliSecret}},
	}
	for _, c := range cases {
		var out tenantstest.SyncBuffer
		err := run(context.Background(), c.args, env(c.env), &out)
		if !errors.Is(err, errUsage) {
			t.Errorf("%v %v: %v", c.args, c.env, err)
		}
		if strings.Contains(out.String(), tcKey) || strings.Contains(out.String(), aliSecret) {
			t.Errorf("a secret in the usage message: %s", out.String())
		}
	}
}
