package smstest

import (
	"net/url"
	"strings"
	"testing"
)

// The vectors of sms-api.md §1.3, §2.2 and §2.3.
func TestSignatureVectors(t *testing.T) {
	t.Run("TC3 doc example A1", func(t *testing.T) {
		body := `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
		h := map[string]string{"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}
		cr := TC3CanonicalRequest("POST", "", func(n string) string { return h[n] }, "content-type;host", []byte(body))
		if got := sha256hex([]byte(cr)); got != "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031" {
			t.Fatalf("canonical request hash %s", got)
		}
		if got := TC3Signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "1551113065", "2019-02-25", cr); got != "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168" {
			t.Fatalf("signature %s", got)
		}
	})
	t.Run("TC3 SendSms B", func(t *testing.T) {
		body := `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400000000","TemplateId":"100000","SignName":"测试","TemplateParamSet":["123456","5"]}`
		h := map[string]string{"content-type": "application/json", "host": "sms.tencentcloudapi.com"}
		cr := TC3CanonicalRequest("POST", "", func(n string) string { return h[n] }, "content-type;host", []byte(body))
		if got := TC3Signature("SECRETKEYEXAMPLE", "sms", "1700000000", "2023-11-14", cr); got != "03360343a070a436a65bfbf8537dce48cc9375b675747dcc0cde24cbcf0abe38" {
			t.Fatalf("signature %s", got)
		}
	})
	empty := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed := "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
	t.Run("ACS3 doc example", func(t *testing.T) {
		h := map[string]string{"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-content-sha256": empty,
			"x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d", "x-acs-version": "2014-05-26"}
		q := url.Values{"ImageId": {"win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"}, "RegionId": {"cn-shanghai"}}
		if got := ACS3Signature("YourAccessKeySecret", "POST", q, func(n string) string { return h[n] }, signed, empty); got != "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0" {
			t.Fatalf("signature %s", got)
		}
	})
	t.Run("ACS3 SendSms", func(t *testing.T) {
		h := map[string]string{"host": "dysmsapi.aliyuncs.com", "x-acs-action": "SendSms", "x-acs-content-sha256": empty,
			"x-acs-date": "2024-01-01T00:00:00Z", "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef", "x-acs-version": "2017-05-25"}
		q := url.Values{"PhoneNumbers": {"13800138000"}, "SignName": {"阿里云短信测试"}, "TemplateCode": {"SMS_154950909"}, "TemplateParam": {`{"code":"123456"}`}}
		if got := ACS3Signature("testSecret", "POST", q, func(n string) string { return h[n] }, signed, empty); got != "62f149f7f53222df484dda5b60843067c7e8a9af443fbba3cc9b2fe466ac8b30" {
			t.Fatalf("signature %s", got)
		}
	})
	t.Run("RPC V2 SMS doc example", func(t *testing.T) {
		q := url.Values{}
		for _, kv := range strings.Split("AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou"+
			"&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007"+
			"&Timestamp=2017-07-12T02:42:19Z&Version=2017-05-25", "&") {
			k, v, _ := strings.Cut(kv, "=")
			q.Set(k, v)
		}
		q.Set("SignName", "阿里云短信测试专用")
		q.Set("TemplateParam", `{"customer":"test"}`)
		if got := RPCSignature("testSecret", "GET", q); got != "zJDF+Lrzhj/ThnlvIToysFRq6t4=" {
			t.Fatalf("signature %s", got)
		}
	})
	t.Run("RPC V2 classic example", func(t *testing.T) {
		q := url.Values{"AccessKeyId": {"testid"}, "Action": {"DescribeRegions"}, "Format": {"XML"}, "SignatureMethod": {"HMAC-SHA1"},
			"SignatureNonce": {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"}, "SignatureVersion": {"1.0"}, "Timestamp": {"2016-02-23T12:46:24Z"}, "Version": {"2014-05-26"}}
		if got := RPCSignature("testsecret", "GET", q); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
			t.Fatalf("signature %s", got)
		}
	})
}
