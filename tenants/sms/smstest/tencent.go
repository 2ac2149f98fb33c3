package smstest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// tencentMessages are the services' texts for the codes the simulator
// answers by itself; injected codes not listed answer their code.
var tencentMessages = map[string]string{
	"AuthFailure.SignatureFailure":                             "The provided credentials could not be validated. Please check your signature is correct.",
	"AuthFailure.SecretIdNotFound":                             "The SecretId is not found, please ensure that your SecretId is correct.",
	"AuthFailure.SignatureExpire":                              "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
	"AuthFailure.InvalidAuthorization":                         "The format of Authorization is invalid.",
	"InvalidAction":                                            "The requested action does not exist.",
	"NoSuchVersion":                                            "The requested version does not exist.",
	"FailedOperation.JsonParseFail":                            "parse json failed",
	"MissingParameter":                                         "missing required parameter",
	"MissingParameter.EmptyPhoneNumberSet":                     "PhoneNumberSet is empty",
	"LimitExceeded.PhoneNumberCountLimit":                      "the number of phone numbers exceeds 200",
	"InvalidParameterValue.SdkAppIdNotExist":                   "SdkAppId does not exist",
	"UnauthorizedOperation.SmsSdkAppIdVerifyFail":              "SmsSdkAppId verification failed",
	"InvalidParameterValue.IncorrectPhoneNumber":               "invalid mobile number",
	"InvalidParameterValue.TemplateParameterFormatError":       "verification code template parameter must be 0-6 digits",
	"FailedOperation.SignatureIncorrectOrUnapproved":           "signature is not approved or is incorrect",
	"FailedOperation.TemplateUnapprovedOrNotExist":             "template is not approved or does not exist",
	"FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "request content does not match the template content",
	"LimitExceeded.PhoneNumberThirtySecondLimit":               "the same content was sent to this number within 30 seconds",
	"LimitExceeded.PhoneNumberDailyLimit":                      "the number of messages sent to this number today exceeds the limit",
	"FailedOperation.InsufficientBalanceInSmsPackage":          "insufficient balance in the SMS package",
}

// tencentRequestLevel: codes answered as Response.Error; the others come
// as the number's SendStatus (sms-api.md §1.5, the practical rule).
func tencentRequestLevel(code string) bool {
	for _, p := range []string{"AuthFailure", "InvalidAction", "NoSuchVersion", "MissingParameter", "UnknownParameter",
		"InvalidParameterValue.SdkAppIdNotExist", "LimitExceeded.PhoneNumberCountLimit", "UnsupportedOperation.ContainDomestic",
		"UnauthorizedOperation", "FailedOperation.JsonParseFail", "FailedOperation.FailResolvePacket",
		"FailedOperation.InsufficientBalanceInSmsPackage", "InternalError", "RequestLimitExceeded", "ServiceUnavailable"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

type tencentRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppId      string
	TemplateId       string
	SignName         string
	TemplateParamSet []string
	SessionContext   string
}

type sendStatus struct {
	SerialNo       string
	PhoneNumber    string
	Fee            int
	SessionContext string
	Code           string
	Message        string
	IsoCode        string
}

func tencentError(w http.ResponseWriter, code string) {
	msg := tencentMessages[code]
	if msg == "" {
		msg = code
	}
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{
		"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": requestID()}})
}

var tc3Auth = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$`)

// serveTencent answers SendSms as Tencent Cloud does: HTTP 200 always,
// the answer wrapped in Response.
func (s *Server) serveTencent(w http.ResponseWriter, r *http.Request) {
	s.count("tencent")
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<10))
	if err != nil || r.Method != http.MethodPost {
		tencentError(w, "UnsupportedProtocol")
		return
	}
	account, code := s.verifyTC3(r, body)
	if code != "" {
		tencentError(w, code)
		return
	}
	switch {
	case r.Header.Get("X-TC-Action") != "SendSms":
		tencentError(w, "InvalidAction")
		return
	case r.Header.Get("X-TC-Version") != "2021-01-11":
		tencentError(w, "NoSuchVersion")
		return
	}
	var req tencentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		tencentError(w, "FailedOperation.JsonParseFail")
		return
	}
	switch {
	case req.SmsSdkAppId == "" || req.TemplateId == "":
		tencentError(w, "MissingParameter")
		return
	case len(req.PhoneNumberSet) == 0:
		tencentError(w, "MissingParameter.EmptyPhoneNumberSet")
		return
	case len(req.PhoneNumberSet) > 200:
		tencentError(w, "LimitExceeded.PhoneNumberCountLimit")
		return
	}
	s.mu.Lock()
	owned := account.apps[req.SmsSdkAppId]
	known := owned
	for _, a := range s.tencent {
		known = known || a.apps[req.SmsSdkAppId]
	}
	s.mu.Unlock()
	if !known {
		tencentError(w, "InvalidParameterValue.SdkAppIdNotExist")
		return
	}
	if !owned {
		tencentError(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail")
		return
	}
	if f, ok := s.fault("tencent"); ok && tencentRequestLevel(f) {
		tencentError(w, f)
		return
	} else if ok {
		code = f
	}
	statuses := make([]sendStatus, 0, len(req.PhoneNumberSet))
	for _, raw := range req.PhoneNumberSet {
		st := sendStatus{PhoneNumber: raw, SessionContext: req.SessionContext, Code: code}
		if st.Code == "" {
			st.Code = s.tencentDeliver(&req, raw, &st)
		}
		if st.Code == "Ok" {
			st.SerialNo = strconv.Itoa(2000+int(randByte())) + ":" + strconv.FormatInt(s.now().UnixNano(), 10) + randomDigits(6)
			st.Fee, st.Message = 1, "send success"
		} else if msg := tencentMessages[st.Code]; msg != "" {
			st.Message = msg
		} else {
			st.Message = st.Code
		}
		statuses = append(statuses, st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"SendStatusSet": statuses, "RequestId": requestID()}})
}

// verifyTC3 checks the Authorization header (sms-api.md §1.2, server side).
func (s *Server) verifyTC3(r *http.Request, body []byte) (tencentAccount, string) {
	m := tc3Auth.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return tencentAccount{}, "AuthFailure.InvalidAuthorization"
	}
	secretID, date, service, signed, sig := m[1], m[2], m[3], m[4], m[5]
	s.mu.Lock()
	account, ok := s.tencent[secretID]
	s.mu.Unlock()
	if !ok {
		return tencentAccount{}, "AuthFailure.SecretIdNotFound"
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return account, "AuthFailure.InvalidAuthorization"
	}
	if d := s.now().Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return account, "AuthFailure.SignatureExpire"
	}
	names := strings.Split(signed, ";")
	if service != "sms" || date != time.Unix(ts, 0).UTC().Format("2006-01-02") ||
		!contains(names, "content-type") || !contains(names, "host") {
		return account, "AuthFailure.SignatureFailure"
	}
	header := func(name string) string {
		if name == "host" {
			return r.Host
		}
		return r.Header.Get(name)
	}
	canonical := TC3CanonicalRequest(r.Method, r.URL.RawQuery, header, signed, body)
	want := TC3Signature(account.secretKey, service, strconv.FormatInt(ts, 10), date, canonical)
	if !equal(want, sig) {
		return account, "AuthFailure.SignatureFailure"
	}
	return account, ""
}

// tencentDeliver validates one number and the content, applies the
// limits, and delivers; it returns the number's status code.
func (s *Server) tencentDeliver(req *tencentRequest, raw string, st *sendStatus) string {
	phone, ok := tencentNumber(raw)
	if !ok {
		return "InvalidParameterValue.IncorrectPhoneNumber"
	}
	st.PhoneNumber, st.IsoCode = phone, isoCode(phone)
	if strings.HasPrefix(phone, "+86") && req.SignName == "" {
		return "FailedOperation.SignatureIncorrectOrUnapproved"
	}
	for _, p := range req.TemplateParamSet {
		if len(p) > 6 || strings.Trim(p, "0123456789") != "" {
			return "InvalidParameterValue.TemplateParameterFormatError"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.signs) > 0 && req.SignName != "" && !s.signs[req.SignName] {
		return "FailedOperation.SignatureIncorrectOrUnapproved"
	}
	text, ok := s.templates[req.TemplateId]
	if len(s.templates) > 0 && !ok {
		return "FailedOperation.TemplateUnapprovedOrNotExist"
	}
	if !ok {
		text = defaultTencentTemplate
	}
	if tencentVars(text) != len(req.TemplateParamSet) {
		return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
	}
	for i, p := range req.TemplateParamSet {
		text = strings.ReplaceAll(text, "{"+strconv.Itoa(i+1)+"}", p)
	}
	now := s.now()
	content := "tencent-content:" + phone + ":" + req.SignName + text
	if s.countSince(content, now.Add(-30*time.Second)) >= 1 {
		return "LimitExceeded.PhoneNumberThirtySecondLimit"
	}
	day := "tencent-day:" + phone
	if s.opts.TencentPerDay > 0 && s.countSince(day, beijingMidnight(now)) >= s.opts.TencentPerDay {
		return "LimitExceeded.PhoneNumberDailyLimit"
	}
	s.record(content, now)
	s.record(day, now)
	s.deliverLocked(Message{Provider: "tencent", Phone: phone, SignName: req.SignName, TemplateID: req.TemplateId,
		Params: req.TemplateParamSet, Text: "【" + req.SignName + "】" + text, SentAt: now})
	return "Ok"
}

const defaultTencentTemplate = "{1}为您的登录验证码，请于{2}分钟内填写。如非本人操作，请忽略本短信。"

var tencentVar = regexp.MustCompile(`\{(\d+)\}`)

func tencentVars(text string) int {
	n := 0
	for _, m := range tencentVar.FindAllStringSubmatch(text, -1) {
		if v, _ := strconv.Atoi(m[1]); v > n {
			n = v
		}
	}
	return n
}

// tencentNumber accepts what Tencent does: E.164, 0086…, 86… or a bare
// mainland mobile number.
func tencentNumber(raw string) (string, bool) {
	switch {
	case strings.HasPrefix(raw, "+"):
	case strings.HasPrefix(raw, "0086"):
		raw = "+" + raw[2:]
	case strings.HasPrefix(raw, "86") && len(raw) == 13:
		raw = "+" + raw
	case len(raw) == 11 && raw[0] == '1':
		raw = "+86" + raw
	default:
		return "", false
	}
	return e164(raw)
}

func beijingMidnight(t time.Time) time.Time {
	b := t.In(time.FixedZone("CST", 8*3600))
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, b.Location())
}
