package smstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/sms"
	"miniauth/tenants/sms/smstest"
)

func newServer(t *testing.T) (*smstest.Server, string) {
	t.Helper()
	sim := smstest.New(smstest.Options{})
	sim.AddTencent("AKIDmock", "mock-secret-key", "1400000001")
	sim.AddAliyun("LTAImock", "mock-access-key-secret")
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func TestInboxOverHTTP(t *testing.T) {
	_, base := newServer(t)
	p, err := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDmock", SecretKey: "mock-secret-key", SDKAppID: "1400000001",
		SignName: "演示", TemplateID: "1", Endpoint: base})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"111111", "222222"} {
		if err := p.Send(context.Background(), "+8613800138000", []string{code, "5"}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Messages []struct {
			Phone, Text, Code string
			TemplateID        string `json:"template_id"`
			Params            []string
			SentAt            time.Time `json:"sent_at"`
		}
	}
	// Both spellings of the phone: %2B and a bare mainland number.
	for _, q := range []string{"%2B8613800138000", "13800138000"} {
		if st := getJSON(t, base+"/mock/sms?phone="+q, &got); st != 200 || len(got.Messages) != 2 {
			t.Fatalf("GET /mock/sms?phone=%s: %d %+v", q, st, got)
		}
		if m := got.Messages[0]; m.Code != "222222" || m.Phone != "+8613800138000" || !strings.HasPrefix(m.Text, "【演示】222222") {
			t.Fatalf("newest first: %+v", got.Messages)
		}
	}
}

func TestFaultKnobOverHTTP(t *testing.T) {
	_, base := newServer(t)
	resp, err := http.Post(base+"/mock/faults", "application/json",
		strings.NewReader(`{"provider":"aliyun","code":"isv.AMOUNT_NOT_ENOUGH","times":2}`))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /mock/faults: %v %v", resp, err)
	}
	p, _ := sms.NewAliyun(sms.AliyunConfig{AccessKeyID: "LTAImock", AccessKeySecret: "mock-access-key-secret",
		SignName: "演示", TemplateCode: "SMS_1", Endpoint: base})
	phones := []string{"+8613800000001", "+8613800000002", "+8613800000003"}
	for i, phone := range phones {
		err := p.Send(context.Background(), phone, []string{"123456"})
		if want := i < 2; errors.Is(err, sms.ErrNoBalance) != want {
			t.Fatalf("send %d: %v (want no balance: %v)", i, err, want)
		}
	}
}

// A V2-signed request by hand: a replayed nonce and an old timestamp are
// refused as Alibaba refuses them.
func TestAliyunRPCReplayAndClock(t *testing.T) {
	sim, base := newServer(t)
	signed := func(nonce string, ts time.Time) url.Values {
		q := url.Values{"AccessKeyId": {"LTAImock"}, "Action": {"SendSms"}, "Format": {"JSON"}, "Version": {"2017-05-25"},
			"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {nonce},
			"Timestamp": {ts.UTC().Format("2006-01-02T15:04:05Z")}, "RegionId": {"cn-hangzhou"},
			"PhoneNumbers": {"13800138000"}, "SignName": {"演示"}, "TemplateCode": {"SMS_1"}, "TemplateParam": {`{"code":"123456"}`}}
		q.Set("Signature", smstest.RPCSignature("mock-access-key-secret", "GET", q))
		return q
	}
	call := func(q url.Values) (int, string) {
		var body struct{ Code string }
		st := getJSON(t, base+"/?"+q.Encode(), &body)
		return st, body.Code
	}
	q := signed("nonce-1", time.Now())
	if st, code := call(q); st != 200 || code != "OK" {
		t.Fatalf("first: %d %s", st, code)
	}
	if st, code := call(q); st != 400 || code != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %s", st, code)
	}
	if st, code := call(signed("nonce-2", time.Now().Add(-20*time.Minute))); st != 400 || code != "InvalidTimeStamp.Expired" {
		t.Fatalf("old timestamp: %d %s", st, code)
	}
	tampered := signed("nonce-3", time.Now())
	tampered.Set("PhoneNumbers", "13900139000")
	if st, code := call(tampered); st != 400 || code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered: %d %s", st, code)
	}
	if n := len(sim.Inbox("+8613800138000")); n != 1 {
		t.Fatalf("inbox has %d messages, want 1", n)
	}
}

// Tencent refuses a timestamp more than 5 minutes off its clock.
func TestTencentSignatureExpire(t *testing.T) {
	sim, base := newServer(t)
	p, _ := sms.NewTencent(sms.TencentConfig{SecretID: "AKIDmock", SecretKey: "mock-secret-key", SDKAppID: "1400000001",
		SignName: "演示", TemplateID: "1", Endpoint: base})
	sim.Advance(6 * time.Minute)
	err := p.Send(context.Background(), "+8613800138000", []string{"123456", "5"})
	var pe *sms.ProviderError
	if !errors.As(err, &pe) || pe.Code != "AuthFailure.SignatureExpire" {
		t.Fatalf("got %v", err)
	}
}
