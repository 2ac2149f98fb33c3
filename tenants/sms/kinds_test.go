package sms

import (
	"errors"
	"testing"
)

// The codes of sms-api.md §1.6 and §2.6 land on the typed errors.
func TestErrorKinds(t *testing.T) {
	tencent := map[error][]string{
		ErrInvalidNumber: {"InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberParseFail",
			"FailedOperation.PhoneNumberInBlacklist", "MissingParameter.EmptyPhoneNumberSet", "UnsupportedOperation.UnsuportedRegion",
			"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", "LimitExceeded.AppCountryOrRegionInBlacklist"},
		ErrProviderLimit: {"LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberOneHourLimit",
			"LimitExceeded.PhoneNumberSameContentDailyLimit", "LimitExceeded.PhoneNumberThirtySecondLimit",
			"LimitExceeded.DeliveryFrequencyLimit", "LimitExceeded.AppDailyLimit", "LimitExceeded.DailyLimit",
			"LimitExceeded.AppCountryOrRegionDailyLimit", "LimitExceeded.AppMainlandChinaDailyLimit"},
		ErrNoBalance: {"FailedOperation.InsufficientBalanceInSmsPackage", "UnauthorizedOperation.SerivceSuspendDueToArrears"},
		ErrMisconfigured: {"AuthFailure.SignatureFailure", "AuthFailure.SecretIdNotFound", "AuthFailure.InvalidSecretId",
			"FailedOperation.SignatureIncorrectOrUnapproved", "FailedOperation.TemplateIncorrectOrUnapproved",
			"FailedOperation.TemplateUnapprovedOrNotExist", "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
			"InvalidParameterValue.SdkAppIdNotExist", "InvalidParameterValue.TemplateParameterFormatError",
			"UnauthorizedOperation.SmsSdkAppIdVerifyFail", "UnauthorizedOperation.SdkAppIdIsDisabled",
			"UnauthorizedOperation.RequestIpNotInWhitelist", "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone"},
		ErrUnavailable: {"InternalError.Timeout", "InternalError.SendAndRecvFail", "ServiceUnavailable", "RequestLimitExceeded",
			"ClientError.NetworkError", "AuthFailure.SignatureExpire", "FailedOperation.JsonParseFail", "SomethingNew"},
	}
	aliyun := map[error][]string{
		ErrInvalidNumber: {"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.PHONENUMBERS_OVER_LIMIT"},
		ErrProviderLimit: {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL"},
		ErrNoBalance:     {"isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE"},
		ErrMisconfigured: {"SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "Forbidden.RAM",
			"isp.RAM_PERMISSION_DENY", "isv.SMS_SIGNATURE_ILLEGAL", "isv.SIGN_STATE_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
			"isv.TEMPLATE_MISSING_PARAMETERS", "isv.INVALID_JSON_PARAM", "isv.PRODUCT_UN_SUBSCRIPT", "isv.ACCOUNT_NOT_EXISTS"},
		ErrUnavailable: {"isp.SYSTEM_ERROR", "InternalError", "ServiceUnavailable", "Throttling.User", "InvalidTimeStamp.Expired",
			"SignatureNonceUsed", "SomethingNew"},
	}
	for want, codes := range tencent {
		for _, c := range codes {
			if got := tencentKind(c); !errors.Is(got, want) {
				t.Errorf("tencent %s: %v, want %v", c, got, want)
			}
		}
	}
	for want, codes := range aliyun {
		for _, c := range codes {
			if got := aliyunKind(c); !errors.Is(got, want) {
				t.Errorf("aliyun %s: %v, want %v", c, got, want)
			}
		}
	}
}
