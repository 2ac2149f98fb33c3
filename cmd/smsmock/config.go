package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `Usage: smsmock [--addr HOST:PORT] [--tencent SECRETID:SECRETKEY:SDKAPPID]...
               [--aliyun ACCESSKEYID:ACCESSKEYSECRET]... [--sign NAME]...
               [--template ID=TEXT]... [--tencent-per-day N]
               [--aliyun-per-minute N] [--aliyun-per-hour N] [--aliyun-per-day N]
               [--verbose]

smsmock simulates Tencent Cloud SMS (SendSms, 2021-01-11) and Alibaba Cloud
SMS (Dysmsapi SendSms, 2017-05-25) for development and tests, on POST /,
told apart by their headers as the real hosts are by name. Both signatures
are verified (TC3-HMAC-SHA256; ACS3-HMAC-SHA256 and the RPC HMAC-SHA1),
timestamps must be within 5 minutes (Tencent) or 15 (Alibaba), Alibaba's
nonces are single use, the per-number limits are the services' defaults,
and errors come in each service's real shape.

Accounts come from --tencent and --aliyun, which may be repeated, and from
the environment variables SMSMOCK_TENCENT and SMSMOCK_ALIYUN, comma-separated
lists in the same formats (prefer them: anyone on the machine can read
command-line flags with ps):

  SMSMOCK_TENCENT=AKIDxxxx:SECRETKEY:1400000001 SMSMOCK_ALIYUN=LTAIxxxx:SECRET smsmock

A Tencent account given twice with different SDK app ids owns all of them.
Until a --sign is given every sign name is accepted, and until a --template
is given every template id is, with a default text; a template's TEXT uses
{1}, {2} (Tencent) or ${code} (Alibaba) for its variables.

Besides the APIs it serves:
  GET /mock/sms?phone=%2B8613800138000   {"messages":[{"phone","text","code",
                                         "params","template_id","sign_name",
                                         "provider","sent_at"}]}, newest first
  GET, POST, DELETE /mock/faults         list, add, clear injected errors: POST
      {"provider":"tencent"|"aliyun"|"*","code":"…","times"?}
                                         the next "times" (1; negative = until
                                         cleared) signed requests answer code
                                         (e.g. LimitExceeded.PhoneNumberDailyLimit,
                                         FailedOperation.InsufficientBalanceInSmsPackage,
                                         isv.BUSINESS_LIMIT_CONTROL, isv.AMOUNT_NOT_ENOUGH,
                                         SignatureDoesNotMatch) in the service's shape
  POST /mock/clock {"advance_seconds"}   move the clock (limits, timestamps)
  POST /mock/reset                       forget the inbox, counters, nonces, faults
  GET /mock/stats                        {"calls":{"tencent":N,"aliyun":N}}

Flags:
`

// config is what the command line and the environment ask for. Secrets
// in it must never be printed.
type config struct {
	addr      string
	verbose   bool
	tencent   []tencentSpec
	aliyun    []aliyunSpec
	signs     []string
	templates map[string]string

	tencentPerDay                                int
	aliyunPerMinute, aliyunPerHour, aliyunPerDay int
}

type tencentSpec struct{ secretID, secretKey, sdkAppID string }
type aliyunSpec struct{ accessKeyID, secret string }

// errUsage reports a bad command line whose explanation is already printed.
var errUsage = errors.New("smsmock: bad usage")

// parseConfig reads args, SMSMOCK_TENCENT and SMSMOCK_ALIYUN (through
// getenv). Usage goes to out.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	cfg := config{templates: make(map[string]string)}
	fs := flag.NewFlagSet("smsmock", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8082", "listen on `HOST:PORT`")
	fs.BoolVar(&cfg.verbose, "verbose", false, "log every request (method, path, status; never parameters)")
	fs.Func("sign", "accept the sign `NAME` (repeatable; none = any)", func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("empty sign name")
		}
		cfg.signs = append(cfg.signs, s)
		return nil
	})
	fs.Func("template", "accept the template `ID=TEXT` (repeatable; none = any)", func(s string) error {
		id, text, ok := strings.Cut(s, "=")
		if !ok || id == "" || text == "" {
			return errors.New("want ID=TEXT")
		}
		cfg.templates[id] = text
		return nil
	})
	fs.IntVar(&cfg.tencentPerDay, "tencent-per-day", 0, "Tencent's messages per number per day (`N`; 0 = 10, negative = no limit)")
	fs.IntVar(&cfg.aliyunPerMinute, "aliyun-per-minute", 0, "Alibaba's messages per number per minute (`N`; 0 = 1, negative = no limit)")
	fs.IntVar(&cfg.aliyunPerHour, "aliyun-per-hour", 0, "Alibaba's messages per number per hour (`N`; 0 = 5, negative = no limit)")
	fs.IntVar(&cfg.aliyunPerDay, "aliyun-per-day", 0, "Alibaba's messages per number per 24 hours (`N`; 0 = 10, negative = no limit)")
	// Account values are parsed after fs.Parse: the flag package would
	// quote a rejected value, secret included, in its message.
	var flagTencent, flagAliyun []string
	fs.Func("tencent", "simulate the Tencent Cloud account `SECRETID:SECRETKEY:SDKAPPID` (repeatable)", func(s string) error {
		flagTencent = append(flagTencent, s)
		return nil
	})
	fs.Func("aliyun", "simulate the Alibaba Cloud AccessKey `ACCESSKEYID:ACCESSKEYSECRET` (repeatable)", func(s string) error {
		flagAliyun = append(flagAliyun, s)
		return nil
	})
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return config{}, err
	} else if err != nil {
		return config{}, errUsage // the flag package has printed why
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for i, s := range append(entries(getenv("SMSMOCK_TENCENT")), flagTencent...) {
		parts := strings.Split(strings.TrimSpace(s), ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || strings.Trim(parts[2], "0123456789") != "" || parts[2] == "" {
			return config{}, fmt.Errorf("tencent account #%d: want SECRETID:SECRETKEY:SDKAPPID (digits)", i+1)
		}
		cfg.tencent = append(cfg.tencent, tencentSpec{parts[0], parts[1], parts[2]})
	}
	for i, s := range append(entries(getenv("SMSMOCK_ALIYUN")), flagAliyun...) {
		id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
		if !ok || id == "" || secret == "" {
			return config{}, fmt.Errorf("aliyun account #%d: want ACCESSKEYID:ACCESSKEYSECRET", i+1)
		}
		cfg.aliyun = append(cfg.aliyun, aliyunSpec{id, secret})
	}
	if len(cfg.tencent)+len(cfg.aliyun) == 0 {
		return config{}, errors.New("no accounts: give --tencent, --aliyun, SMSMOCK_TENCENT or SMSMOCK_ALIYUN")
	}
	return cfg, nil
}

func entries(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}
