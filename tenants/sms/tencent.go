package sms

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"
)

// TencentConfig is what SendSms (2021-01-11) needs.
type TencentConfig struct {
	SecretID, SecretKey string
	SDKAppID            string // SmsSdkAppId, e.g. "1400006666"
	SignName            string // the approved sign's text
	TemplateID          string
	Region              string // "ap-guangzhou" when empty
	// Endpoint is "http(s)://host[:port]" or a bare host (https); empty is
	// sms.tencentcloudapi.com. The simulator is reached over http.
	Endpoint string
	Timeout  time.Duration // DefaultTimeout when zero
}

// TencentProvider sends through the official Tencent Cloud Go SDK.
type TencentProvider struct {
	c       *tcsms.Client
	cfg     TencentConfig
	timeout time.Duration
}

// NewTencent builds a Tencent Cloud SMS provider.
func NewTencent(cfg TencentConfig) (*TencentProvider, error) {
	scheme, host, err := endpoint(cfg.Endpoint, "sms.tencentcloudapi.com")
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "ap-guangzhou"
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = host
	cpf.HttpProfile.Scheme = strings.ToUpper(scheme)
	// The SDK's own timeout is in whole seconds; the context below is the
	// real bound, this one only a backstop.
	cpf.HttpProfile.ReqTimeout = int((timeout + time.Second - 1) / time.Second)
	// No retries: a retried SendSms may deliver (and bill) twice.
	cpf.NetworkFailureMaxRetries = 0
	cpf.RateLimitExceededMaxRetries = 0
	c, err := tcsms.NewClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, cpf)
	if err != nil {
		return nil, unavailable(Tencent, "client: "+err.Error())
	}
	return &TencentProvider{c: c, cfg: cfg, timeout: timeout}, nil
}

// Send calls SendSms for one number and checks its per-number status.
func (p *TencentProvider) Send(ctx context.Context, phone string, params []string) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req := tcsms.NewSendSmsRequest()
	req.PhoneNumberSet = common.StringPtrs([]string{phone})
	req.SmsSdkAppId = common.StringPtr(p.cfg.SDKAppID)
	req.TemplateId = common.StringPtr(p.cfg.TemplateID)
	req.SignName = common.StringPtr(p.cfg.SignName)
	req.TemplateParamSet = common.StringPtrs(params)
	resp, err := p.c.SendSmsWithContext(ctx, req)
	if err != nil {
		var sdkErr *tcerr.TencentCloudSDKError
		if errors.As(err, &sdkErr) {
			return tencentError(sdkErr.Code, sdkErr.Message, sdkErr.RequestId)
		}
		if ctx.Err() != nil {
			return unavailable(Tencent, "timed out")
		}
		return unavailable(Tencent, "transport failure")
	}
	if resp.Response == nil || len(resp.Response.SendStatusSet) != 1 || resp.Response.SendStatusSet[0] == nil {
		return unavailable(Tencent, "a reply without one send status")
	}
	st := resp.Response.SendStatusSet[0]
	requestID := deref(resp.Response.RequestId)
	if code := deref(st.Code); code != "Ok" {
		return tencentError(code, deref(st.Message), requestID)
	}
	return nil
}

// tencentError maps a Tencent code (sms-api.md §1.6), whether it came as
// Response.Error or as a per-number status, to a typed error.
func tencentError(code, msg, requestID string) error {
	return &ProviderError{Provider: Tencent, Code: code, Message: msg, RequestID: requestID, Kind: tencentKind(code)}
}

func tencentKind(code string) error {
	switch code {
	case "AuthFailure.SignatureExpire":
		return ErrUnavailable // this server's clock, not the tenant's settings
	case "InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberParseFail",
		"FailedOperation.PhoneNumberInBlacklist", "MissingParameter.EmptyPhoneNumberSet",
		"LimitExceeded.AppCountryOrRegionInBlacklist", "LimitExceeded.PhoneNumberCountLimit",
		"UnsupportedOperation.UnsuportedRegion", "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber":
		return ErrInvalidNumber
	case "FailedOperation.InsufficientBalanceInSmsPackage", "UnauthorizedOperation.SerivceSuspendDueToArrears":
		return ErrNoBalance
	case "FailedOperation.SignatureIncorrectOrUnapproved", "FailedOperation.TemplateIncorrectOrUnapproved",
		"FailedOperation.TemplateUnapprovedOrNotExist", "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
		"FailedOperation.ContainSensitiveWord", "FailedOperation.MarketingSendTimeConstraint",
		"InvalidParameterValue.SdkAppIdNotExist", "InvalidParameterValue.TemplateParameterFormatError",
		"InvalidParameterValue.TemplateParameterLengthLimit", "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
		"InvalidParameterValue.ContentLengthLimit",
		"UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone", "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone",
		"ClientError.CredentialError", "InvalidAction", "NoSuchVersion", "NoSuchProduct", "UnsupportedRegion":
		return ErrMisconfigured
	}
	switch {
	case strings.HasPrefix(code, "LimitExceeded."):
		return ErrProviderLimit
	case strings.HasPrefix(code, "AuthFailure."), strings.HasPrefix(code, "UnauthorizedOperation."),
		code == "UnauthorizedOperation", strings.HasPrefix(code, "IpNotInWhitelist"), strings.HasPrefix(code, "IpInBlacklist"):
		return ErrMisconfigured
	}
	// InternalError.*, ServiceUnavailable, RequestLimitExceeded (the API's
	// QPS: not the user's doing), ClientError.* and anything new.
	return ErrUnavailable
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
