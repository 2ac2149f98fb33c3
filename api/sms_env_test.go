package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
)

// Helpers of the SMS tests: the tenant's settings bound to the simulator
// (e.sms, over HTTP), and the codes read from its inbox over HTTP, as a
// phone would read them.

const (
	smsTencentID     = "AKIDacme0000000000000000000000000000"
	smsTencentKey    = "acme-tencent-secret-key-0123456789"
	smsTencentApp    = "1400000001"
	smsAliyunID      = "LTAIacme00000000"
	smsAliyunSecret  = "acme-aliyun-accesskey-secret-0123"
	smsSignName      = "迷你认证"
	smsTencentTempl  = "100001"
	smsAliyunTemplID = "SMS_100001"
)

// smsCodes are every SMS code the tests read, to scan the logs for them
// (they are 6 digits: too short for the suite's own scan).
var smsCodes struct {
	mu   sync.Mutex
	list []string
}

// smsSettings is the tenant's SMS settings for provider, bound to the
// simulator, with limits.
func smsSettings(provider string, limits sms.Limits) sms.Settings {
	if provider == sms.Aliyun {
		return sms.Settings{Provider: sms.Aliyun, AccessKeyID: smsAliyunID, Secret: smsAliyunSecret,
			SignName: smsSignName, TemplateID: smsAliyunTemplID, Limits: limits}
	}
	return sms.Settings{Provider: sms.Tencent, AccessKeyID: smsTencentID, Secret: smsTencentKey,
		SDKAppID: smsTencentApp, SignName: smsSignName, TemplateID: smsTencentTempl, Limits: limits}
}

// enableSMS registers both accounts with the simulator and gives the
// tenant SMS settings for provider.
func (e *env) enableSMS(provider string, limits sms.Limits) {
	e.t.Helper()
	e.sms.AddTencent(smsTencentID, smsTencentKey, smsTencentApp)
	e.sms.AddAliyun(smsAliyunID, smsAliyunSecret)
	remember(smsTencentKey, "Tencent SecretKey")
	remember(smsAliyunSecret, "Alibaba AccessKey secret")
	e.putSMS(smsSettings(provider, limits))
}

// putSMS stores the tenant's SMS settings as an admin would.
func (e *env) putSMS(st sms.Settings) {
	e.t.Helper()
	if _, err := sms.NewStore(e.db, e.keys).Put(context.Background(), e.tenant.ID, st, audit.CLI); err != nil {
		e.t.Fatal(err)
	}
}

// inbox is the simulator's inbox of phone, newest first, over HTTP.
func (e *env) inbox(phone string) []map[string]any {
	e.t.Helper()
	res, err := http.Get(e.smsURL + "/mock/sms?phone=" + url.QueryEscape(phone))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body struct {
		Messages []map[string]any `json:"messages"`
	}
	if res.StatusCode != 200 || json.Unmarshal(raw, &body) != nil {
		e.t.Fatalf("inbox of %s: %d %s", phone, res.StatusCode, raw)
	}
	return body.Messages
}

var sixDigits = regexp.MustCompile(`\d{6}`)

// smsCode is the code of the newest SMS to phone, failing without one.
func (e *env) smsCode(phone string) string {
	e.t.Helper()
	box := e.inbox(phone)
	if len(box) == 0 {
		e.t.Fatalf("no SMS to %s", phone)
	}
	text, _ := box[0]["text"].(string)
	code := sixDigits.FindString(text[strings.Index(text, "】")+len("】"):])
	if code == "" {
		e.t.Fatalf("no code in the SMS to %s: %q", phone, text)
	}
	smsCodes.mu.Lock()
	smsCodes.list = append(smsCodes.list, code)
	smsCodes.mu.Unlock()
	return code
}

// sendSMS asks for a code for purpose and fails unless it is sent.
func (e *env) sendSMS(phone, purpose string) {
	e.t.Helper()
	if r := e.do("POST", "/t/acme/sms/send", `{"phone":"`+phone+`","purpose":"`+purpose+`"}`); r.Status != 202 {
		e.t.Fatalf("send to %s: %d %s", phone, r.Status, r.Raw)
	}
}

// smsLogin sends a login code to phone and logs in with it.
func (e *env) smsLogin(phone string) response {
	e.t.Helper()
	e.sendSMS(phone, "login")
	r := e.do("POST", "/t/acme/login/sms", `{"phone":"`+phone+`","code":"`+e.smsCode(phone)+`"}`)
	if r.Status != 200 {
		e.t.Fatalf("SMS login %s: %d %s", phone, r.Status, r.Raw)
	}
	return r
}

// wholeWord finds code as a number of its own in logs (not a part of a
// longer one, such as a timestamp's fraction).
func wholeWord(logs, code string) bool {
	return regexp.MustCompile(`(^|[^0-9])` + code + `([^0-9]|$)`).MatchString(logs)
}

func noSMSCodeIn(t *testing.T, logs string) {
	t.Helper()
	smsCodes.mu.Lock()
	defer smsCodes.mu.Unlock()
	for _, c := range smsCodes.list {
		if wholeWord(logs, c) {
			t.Fatalf("SMS code %s… is in the logs", c[:2])
		}
	}
}
