package smstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// aliyunGateway are the POP gateway's codes, answered with an HTTP error
// status and the gateway's body; every other code comes with HTTP 200.
var aliyunGateway = map[string]struct {
	status int
	msg    string
}{
	"SignatureDoesNotMatch":       {400, "Specified signature is not matched with our calculation."},
	"InvalidAccessKeyId.NotFound": {404, "Specified access key is not found."},
	"InvalidAccessKeyId.Inactive": {400, "Specified access key is disabled."},
	"SignatureNonceUsed":          {400, "Specified signature nonce was used already."},
	"InvalidTimeStamp.Format":     {400, "Specified time stamp or date value is not well formatted."},
	"InvalidTimeStamp.Expired":    {400, "Specified time stamp or date value is expired."},
	"InvalidSignatureMethod":      {400, "Specified signature method is not supported."},
	"IncompleteSignature":         {400, "The request signature does not conform to Aliyun standards."},
	"InvalidApi.NotFound":         {404, "Specified api is not found, please check your url and method."},
	"InvalidVersion":              {400, "Specified parameter Version is not valid."},
	"MissingPhoneNumbers":         {400, "PhoneNumbers is mandatory for this action."},
	"MissingSignName":             {400, "SignName is mandatory for this action."},
	"MissingTemplateCode":         {400, "TemplateCode is mandatory for this action."},
	"Throttling.User":             {400, "Request was denied due to user flow control."},
	"Forbidden.RAM":               {403, "User not authorized to operate on the specified resource."},
	"InternalError":               {500, "The request processing has failed due to some unknown error."},
	"ServiceUnavailable":          {503, "The request has failed due to a temporary failure of the server."},
}

var aliyunMessages = map[string]string{
	"isv.SMS_SIGNATURE_ILLEGAL":       "该账号下找不到对应签名",
	"isv.SMS_TEMPLATE_ILLEGAL":        "该账号下找不到对应模板",
	"isv.MOBILE_NUMBER_ILLEGAL":       "非法手机号",
	"isv.INVALID_JSON_PARAM":          "JSON参数不合法，只接受字符串值",
	"isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少对应参数值",
	"isv.AMOUNT_NOT_ENOUGH":           "账户余额不足",
	"isv.DAY_LIMIT_CONTROL":           "触发日发送限额",
	"isv.PHONENUMBERS_OVER_LIMIT":     "手机号码数量超过限制",
	"isp.SYSTEM_ERROR":                "系统错误",
}

func aliyunError(w http.ResponseWriter, r *http.Request, code string) {
	if g, ok := aliyunGateway[code]; ok {
		writeJSON(w, g.status, map[string]string{"RequestId": strings.ToUpper(requestID()), "HostId": r.Host,
			"Code": code, "Message": g.msg, "Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code)})
		return
	}
	msg := aliyunMessages[code]
	if msg == "" {
		msg = code
	}
	writeJSON(w, http.StatusOK, map[string]string{"Code": code, "Message": msg, "RequestId": strings.ToUpper(requestID())})
}

// serveAliyun answers Dysmsapi SendSms, V3 or V2 signed.
func (s *Server) serveAliyun(w http.ResponseWriter, r *http.Request) {
	s.count("aliyun")
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		aliyunError(w, r, "InternalError")
		return
	}
	params := r.URL.Query()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			aliyunError(w, r, "IncompleteSignature")
			return
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	action, version, code := params.Get("Action"), params.Get("Version"), ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "ACS3-HMAC-SHA256 ") {
		action, version = r.Header.Get("x-acs-action"), r.Header.Get("x-acs-version")
		code = s.verifyACS3(r, auth, body)
	} else {
		code = s.verifyRPC(r, params)
	}
	if code != "" {
		aliyunError(w, r, code)
		return
	}
	switch {
	case action != "SendSms":
		aliyunError(w, r, "InvalidApi.NotFound")
		return
	case version != "2017-05-25":
		aliyunError(w, r, "InvalidVersion")
		return
	}
	for _, p := range []string{"PhoneNumbers", "SignName", "TemplateCode"} {
		if params.Get(p) == "" {
			aliyunError(w, r, "Missing"+p)
			return
		}
	}
	if f, ok := s.fault("aliyun"); ok {
		aliyunError(w, r, f)
		return
	}
	if code, msg := s.aliyunDeliver(params); code != "OK" {
		if msg == "" {
			aliyunError(w, r, code)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"Code": code, "Message": msg, "RequestId": strings.ToUpper(requestID())})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"Code": "OK", "Message": "OK",
		"BizId": randomDigits(18) + "^0", "RequestId": strings.ToUpper(requestID())})
}

var acs3Auth = regexp.MustCompile(`^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$`)

// verifyACS3 checks a V3 signature (sms-api.md §2.2, simulator rule).
func (s *Server) verifyACS3(r *http.Request, auth string, body []byte) string {
	m := acs3Auth.FindStringSubmatch(auth)
	if m == nil {
		return "IncompleteSignature"
	}
	keyID, signed, sig := m[1], m[2], m[3]
	s.mu.Lock()
	secret, ok := s.aliyun[keyID]
	s.mu.Unlock()
	if !ok {
		return "InvalidAccessKeyId.NotFound"
	}
	names := strings.Split(signed, ";")
	for _, h := range []string{"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-version", "x-acs-content-sha256"} {
		if !contains(names, h) {
			return "IncompleteSignature"
		}
	}
	if r.Header.Get("x-acs-content-sha256") != sha256hex(body) {
		return "SignatureDoesNotMatch"
	}
	if code := s.checkTime(r.Header.Get("x-acs-date")); code != "" {
		return code
	}
	header := func(name string) string {
		if name == "host" {
			return r.Host
		}
		return r.Header.Get(name)
	}
	want := ACS3Signature(secret, r.Method, r.URL.Query(), header, signed, r.Header.Get("x-acs-content-sha256"))
	if !equal(want, sig) {
		return "SignatureDoesNotMatch"
	}
	return s.useNonce(keyID, r.Header.Get("x-acs-signature-nonce"))
}

// verifyRPC checks a V2 signature (sms-api.md §2.3).
func (s *Server) verifyRPC(r *http.Request, params url.Values) string {
	if params.Get("Signature") == "" {
		return "IncompleteSignature"
	}
	if params.Get("SignatureMethod") != "HMAC-SHA1" || params.Get("SignatureVersion") != "1.0" {
		return "InvalidSignatureMethod"
	}
	keyID := params.Get("AccessKeyId")
	s.mu.Lock()
	secret, ok := s.aliyun[keyID]
	s.mu.Unlock()
	if !ok {
		return "InvalidAccessKeyId.NotFound"
	}
	if code := s.checkTime(params.Get("Timestamp")); code != "" {
		return code
	}
	if !equal(RPCSignature(secret, r.Method, params), params.Get("Signature")) {
		return "SignatureDoesNotMatch"
	}
	return s.useNonce(keyID, params.Get("SignatureNonce"))
}

// checkTime wants a UTC ISO 8601 time within 15 minutes of the clock.
func (s *Server) checkTime(v string) string {
	t, err := time.Parse("2006-01-02T15:04:05Z", v)
	if err != nil {
		return "InvalidTimeStamp.Format"
	}
	if d := s.now().Sub(t); d > 15*time.Minute || d < -15*time.Minute {
		return "InvalidTimeStamp.Expired"
	}
	return ""
}

// useNonce refuses a nonce seen in the last 15 minutes (older requests are
// refused by their timestamp anyway).
func (s *Server) useNonce(keyID, nonce string) string {
	if nonce == "" {
		return "IncompleteSignature"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for n, until := range s.nonces {
		if now.After(until) {
			delete(s.nonces, n)
		}
	}
	key := keyID + ":" + nonce
	if _, used := s.nonces[key]; used {
		return "SignatureNonceUsed"
	}
	s.nonces[key] = now.Add(31 * time.Minute)
	return ""
}

const defaultAliyunTemplate = "您的验证码为：${code}，该验证码5分钟内有效，请勿泄漏于他人！"

var aliyunVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// aliyunDeliver validates the content and each number, applies the
// per-number limits, and delivers; it returns the business code (and a
// message when it is not the code's usual one).
func (s *Server) aliyunDeliver(params url.Values) (code, msg string) {
	var vars map[string]string
	if tp := params.Get("TemplateParam"); tp != "" {
		if err := json.Unmarshal([]byte(tp), &vars); err != nil {
			return "isv.INVALID_JSON_PARAM", ""
		}
	}
	sign, tpl := params.Get("SignName"), params.Get("TemplateCode")
	numbers := strings.Split(params.Get("PhoneNumbers"), ",")
	if len(numbers) > 1000 {
		return "isv.PHONENUMBERS_OVER_LIMIT", ""
	}
	phones := make([]string, len(numbers))
	for i, n := range numbers {
		p, ok := aliyunNumber(strings.TrimSpace(n))
		if !ok {
			return "isv.MOBILE_NUMBER_ILLEGAL", ""
		}
		phones[i] = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.signs) > 0 && !s.signs[sign] {
		return "isv.SMS_SIGNATURE_ILLEGAL", ""
	}
	text, ok := s.templates[tpl]
	if len(s.templates) > 0 && !ok {
		return "isv.SMS_TEMPLATE_ILLEGAL", ""
	}
	if !ok {
		text = defaultAliyunTemplate
	}
	var missing bool
	text = aliyunVar.ReplaceAllStringFunc(text, func(m string) string {
		v, ok := vars[m[2:len(m)-1]]
		missing = missing || !ok
		return v
	})
	if missing {
		return "isv.TEMPLATE_MISSING_PARAMETERS", ""
	}
	now := s.now()
	for _, p := range phones {
		key := "aliyun:" + sign + ":" + p
		for _, l := range []struct {
			n    int
			d    time.Duration
			name string
		}{{s.opts.AliyunPerMinute, time.Minute, "分钟级流控"}, {s.opts.AliyunPerHour, time.Hour, "小时级流控"},
			{s.opts.AliyunPerDay, 24 * time.Hour, "天级流控"}} {
			if l.n > 0 && s.countSince(key, now.Add(-l.d)) >= l.n {
				return "isv.BUSINESS_LIMIT_CONTROL", "触发" + l.name + "Permits:" + strconv.Itoa(l.n)
			}
		}
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	values := make([]string, len(names))
	for i, k := range names {
		values[i] = vars[k]
	}
	for _, p := range phones {
		s.record("aliyun:"+sign+":"+p, now)
		s.deliverLocked(Message{Provider: "aliyun", Phone: p, SignName: sign, TemplateID: tpl, Params: values,
			Text: "【" + sign + "】" + text, SentAt: now})
	}
	return "OK", ""
}

// aliyunNumber accepts what Alibaba does: a mainland number bare or with
// +86, 0086 or 86; an international one as country code and number.
func aliyunNumber(n string) (string, bool) {
	n = strings.TrimPrefix(n, "+")
	switch {
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case strings.HasPrefix(n, "86") && len(n) == 13:
		n = n[2:]
	}
	if len(n) == 11 && n[0] == '1' {
		return e164("+86" + n)
	}
	return e164("+" + n)
}
