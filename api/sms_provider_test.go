package api_test

import (
	"strings"
	"testing"

	"miniauth/tenants/sms"
	"miniauth/tenants/sms/smstest"
)

// The providers' refusals, injected into the simulator in their real
// shapes, end as the documented errors, with nothing delivered and the
// provider's code in a log line.
func TestSMSProviderFailures(t *testing.T) {
	for _, provider := range []string{sms.Tencent, sms.Aliyun} {
		t.Run(provider, func(t *testing.T) {
			e := newEnv(t)
			e.enableSMS(provider, smsRoomy)
			faults := map[string][3]string{ // no balance, daily limit, invalid number
				sms.Tencent: {"FailedOperation.InsufficientBalanceInSmsPackage", "LimitExceeded.PhoneNumberDailyLimit", "InvalidParameterValue.IncorrectPhoneNumber"},
				sms.Aliyun:  {"isv.AMOUNT_NOT_ENOUGH", "isv.DAY_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"},
			}[provider]
			inject := func(code string) func(e *env) {
				return func(e *env) { e.sms.Inject(smstest.Fault{Provider: provider, Code: code}) }
			}
			logged := func(code string) func(t *testing.T, r response) {
				return func(t *testing.T, r response) {
					if line := lastLine(e.logs.String(), `"sms send failed"`); !strings.Contains(line, code) {
						t.Fatalf("no log line with %s: %q", code, line)
					}
				}
			}
			runScenarios(t, e, scenario{path: "/t/acme/sms/send"}, []scenario{
				{name: "no balance", before: inject(faults[0]), body: `{"phone":"+8613400134001"}`, status: 502, code: "sms_unavailable", check: logged(faults[0])},
				{name: "the provider's daily limit", before: inject(faults[1]), body: `{"phone":"+8613400134002"}`, status: 429, code: "rate_limited", check: logged(faults[1])},
				{name: "the provider refuses the number", before: inject(faults[2]), body: `{"phone":"+8613400134003"}`, status: 400, code: "invalid_phone", check: logged(faults[2])},
				{name: "after a failure the phone may try again", body: `{"phone":"+8613400134001"}`, status: 202},
			})
			for _, p := range []string{"+8613400134002", "+8613400134003"} {
				if n := len(e.inbox(p)); n != 0 {
					t.Fatalf("%d messages to %s under faults", n, p)
				}
			}
		})
	}
}

// The simulator checks both providers' request signatures: settings with
// the wrong secret are refused there (Tencent's AuthFailure.SignatureFailure,
// Alibaba's SignatureDoesNotMatch), which the API answers sms_unavailable
// 502 with a log line, the code withdrawn and the phone free to retry once
// the settings are right. Every log line of it is scanned for the codes
// and the secrets.
func TestSMSWrongKeyAndLogs(t *testing.T) {
	for _, provider := range []string{sms.Tencent, sms.Aliyun} {
		t.Run(provider, func(t *testing.T) {
			e := newEnv(t)
			e.enableSMS(provider, smsRoomy)
			const wrong = "not-the-secret-key-of-this-account"
			remember(wrong, "a wrong SMS secret")
			st := smsSettings(provider, smsRoomy)
			st.Secret = wrong
			e.putSMS(st)
			refusal := map[string]string{sms.Tencent: "AuthFailure.SignatureFailure", sms.Aliyun: "SignatureDoesNotMatch"}[provider]
			runStory(t, e, scenario{path: "/t/acme/sms/send"}, []scenario{
				{name: "signed with the wrong key", body: `{"phone":"+8613300133001"}`, status: 502, code: "sms_unavailable",
					check: func(t *testing.T, r response) {
						if line := lastLine(e.logs.String(), `"sms send failed"`); !strings.Contains(line, refusal) {
							t.Fatalf("no log line with %s: %q", refusal, line)
						}
						if n := len(e.inbox("+8613300133001")); n != 0 {
							t.Fatalf("%d messages delivered with a wrong signature", n)
						}
					}},
				{name: "the right key again", before: func(e *env) { e.putSMS(smsSettings(provider, smsRoomy)) },
					body: `{"phone":"+8613300133001"}`, status: 202},
				{name: "login with the code", path: "/t/acme/login/sms", bodyFn: func(e *env) string {
					return `{"phone":"+8613300133001","code":"` + e.smsCode("+8613300133001") + `"}`
				}, status: 200, delta: state{users: 1, sessions: 1}},
			})
			logs := e.logs.String()
			if !strings.Contains(logs, `"sms code sent"`) {
				t.Fatal("the logs were not captured")
			}
			for _, secret := range []string{smsTencentKey, smsAliyunSecret, wrong} {
				if strings.Contains(logs, secret) {
					t.Fatalf("a secret (%.4s…) is in the logs", secret)
				}
			}
			noSMSCodeIn(t, logs)
		})
	}
}
