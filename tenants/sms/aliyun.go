package sms

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v5/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// AliyunConfig is what Dysmsapi SendSms (2017-05-25) needs.
type AliyunConfig struct {
	AccessKeyID, AccessKeySecret string
	SignName                     string
	TemplateCode                 string // e.g. "SMS_153055065"
	// ParamNames name the template's variables in order: params[i] is sent
	// as ParamNames[i]. ["code"] when empty (a template "…${code}…").
	ParamNames []string
	// Endpoint is "http(s)://host[:port]" or a bare host (https); empty is
	// dysmsapi.aliyuncs.com. The simulator is reached over http.
	Endpoint string
	Timeout  time.Duration // DefaultTimeout when zero
}

// AliyunProvider sends through the official Alibaba Cloud Go SDK, which
// signs with ACS3-HMAC-SHA256 (the V3 signature).
type AliyunProvider struct {
	c       *dysms.Client
	cfg     AliyunConfig
	timeout time.Duration
}

// NewAliyun builds an Alibaba Cloud SMS provider.
func NewAliyun(cfg AliyunConfig) (*AliyunProvider, error) {
	scheme, host, err := endpoint(cfg.Endpoint, "dysmsapi.aliyuncs.com")
	if err != nil {
		return nil, err
	}
	if len(cfg.ParamNames) == 0 {
		cfg.ParamNames = []string{"code"}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ms := int(timeout / time.Millisecond)
	c, err := dysms.NewClient(&openapiutil.Config{
		AccessKeyId:     dara.String(cfg.AccessKeyID),
		AccessKeySecret: dara.String(cfg.AccessKeySecret),
		Endpoint:        dara.String(host),
		Protocol:        dara.String(strings.ToUpper(scheme)),
		RegionId:        dara.String("cn-hangzhou"),
		ConnectTimeout:  dara.Int(ms),
		ReadTimeout:     dara.Int(ms),
	})
	if err != nil {
		return nil, unavailable(Aliyun, "client: "+err.Error())
	}
	return &AliyunProvider{c: c, cfg: cfg, timeout: timeout}, nil
}

// Send calls SendSms for one number. Alibaba wants mainland numbers
// without the +86 and others as country code and number, without "+".
func (p *AliyunProvider) Send(ctx context.Context, phone string, params []string) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	vars := make(map[string]string, len(params))
	for i, v := range params {
		if i < len(p.cfg.ParamNames) {
			vars[p.cfg.ParamNames[i]] = v
		}
	}
	tp, _ := json.Marshal(vars) // a map of strings always marshals
	number := strings.TrimPrefix(phone, "+")
	if strings.HasPrefix(phone, "+86") {
		number = strings.TrimPrefix(phone, "+86")
	}
	ms := int(p.timeout / time.Millisecond)
	resp, err := p.c.SendSmsWithContext(ctx, &dysms.SendSmsRequest{
		PhoneNumbers:  dara.String(number),
		SignName:      dara.String(p.cfg.SignName),
		TemplateCode:  dara.String(p.cfg.TemplateCode),
		TemplateParam: dara.String(string(tp)),
	}, &dara.RuntimeOptions{ConnectTimeout: dara.Int(ms), ReadTimeout: dara.Int(ms), Autoretry: dara.Bool(false)})
	if err != nil {
		// Gateway errors (HTTP 4xx/5xx) come as *tea.SDKError, the
		// gateway's JSON body in Data.
		var se *tea.SDKError
		if errors.As(err, &se) && dara.StringValue(se.Code) != "" {
			var body struct{ Message, RequestId string }
			_ = json.Unmarshal([]byte(dara.StringValue(se.Data)), &body)
			return aliyunError(dara.StringValue(se.Code), body.Message, body.RequestId)
		}
		if ctx.Err() != nil {
			return unavailable(Aliyun, "timed out")
		}
		return unavailable(Aliyun, "transport failure")
	}
	if resp == nil || resp.Body == nil {
		return unavailable(Aliyun, "a reply without a body")
	}
	// Business errors come with HTTP 200: the SDK does not raise them.
	if code := dara.StringValue(resp.Body.Code); code != "OK" {
		if code == "" {
			return unavailable(Aliyun, "a reply without a code")
		}
		return aliyunError(code, dara.StringValue(resp.Body.Message), dara.StringValue(resp.Body.RequestId))
	}
	return nil
}

func aliyunError(code, msg, requestID string) error {
	return &ProviderError{Provider: Aliyun, Code: code, Message: msg, RequestID: requestID, Kind: aliyunKind(code)}
}

// aliyunKind maps Alibaba's business and gateway codes (sms-api.md §2.6).
func aliyunKind(code string) error {
	switch code {
	case "isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.PHONENUMBERS_OVER_LIMIT", "MissingPhoneNumbers":
		return ErrInvalidNumber
	case "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL":
		return ErrProviderLimit
	case "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE":
		return ErrNoBalance
	case "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "Forbidden.RAM",
		"InvalidSignatureMethod", "isp.RAM_PERMISSION_DENY",
		"isv.SMS_SIGNATURE_SCENE_ILLEGAL", "isv.SMS_SIGN_ILLEGAL", "isv.SIGN_STATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
		"isv.SMS_TEMPLATE_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.TEMPLATE_PARAMS_ILLEGAL",
		"isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL", "isv.INVALID_PARAMETERS",
		"isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL",
		"isv.DENY_IP_RANGE", "isv.EXTEND_CODE_ERROR", "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
		"isv.SMS_CONTENT_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT":
		return ErrMisconfigured
	}
	// isp.SYSTEM_ERROR, InternalError, ServiceUnavailable, Throttling.*,
	// InvalidTimeStamp.* and SignatureNonceUsed (this server's clock or
	// nonce, not the tenant's settings), and anything new.
	return ErrUnavailable
}
