package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"miniauth/tenants/wechat/wechattest"
)

const usage = `Usage: wxmock [--addr HOST:PORT] [--app APPID:SECRET[:OPEN_PLATFORM_ID]]...
              [--oa APPID:SECRET[:OPEN_PLATFORM_ID]]... [--oa-domain APPID=HOST[,HOST]]...
              [--open-app APPID:SECRET:OPEN_PLATFORM_ID:mobileapp|website]...
              [--user-per-minute N] [--force-per-day N] [--token-per-day N]
              [--session-key-rotation exchange|wx.login|never]
              [--risky-word WORD]... [--review-word WORD]... [--verbose]

wxmock simulates WeChat's server APIs (sns/jscode2session, cgi-bin/token,
cgi-bin/stable_token, wxa/business/getuserphonenumber, wxa/checksession,
wxa/msg_sec_check, sns/oauth2/access_token, sns/userinfo), WeChat's web
OAuth authorize page (/connect/oauth2/authorize, which consents at once and
redirects back with a code), the website QR login page
(/connect/qrconnect, the same), and the phone side of wx.login,
getPhoneNumber, wx.getUserInfo and the WeChat Open SDK's SendAuth, for
development, tests and load tests.

wx.getUserInfo answers what WeChat answers today: the anonymous profile
(nickName "微信用户", the grey default avatar, is_demote) in rawData and
encryptedData alike; openId and unionId are real.

wxa/msg_sec_check (version 2, the content check of nicknames) wants the
access token in the query, a user who logged in to that mini-program in
the last 2 hours (61010 otherwise), and answers errcode 0 with
result.suggest "pass", or "risky"/"review" for text containing a word set
with --risky-word, --review-word or POST /mock/msg_sec_check.

Official accounts (web OAuth of H5 pages) come from --oa and from
WXMOCK_OFFICIAL_ACCOUNTS, in the same format as apps. The authorize page
plays the user named by its mock_user parameter, else the wxmock_user
cookie, else "h5-user"; mock_deny=1 plays a refusal; mock_snapshot=1 plays
a snapshot-page user (snsapi_userinfo only: the code exchange answers a
virtual openid/unionid, empty tokens and "is_snapshotuser":1). Redirect
URIs must be on the account's web-auth domains, else the page shows 10003;
--oa-domain sets them (host names, compared without the port), and an
account without any accepts loopback hosts only (localhost, 127.0.0.1,
::1).

Open Platform apps (mobile applications, which sign in with the WeChat
app's SendAuth, and website applications, which sign in by QR code) come
from --open-app and from WXMOCK_OPEN_APPS (comma-separated; preferred, see
below), as
APPID:SECRET:OPEN_PLATFORM_ID:KIND with KIND mobileapp or website. A user
has one unionid across every app of an open platform id (mini-programs,
official accounts, mobile apps, websites) and an openid of its own in
each. Their codes are single use and live 10 minutes; sns/oauth2/
access_token takes them with that app's AppID and secret only (40029 for
an unknown, expired or another app's code, 40163 used, 40125 wrong secret,
40013 unknown appid), and answers scope snsapi_userinfo (mobile app) or
snsapi_login (website) with the unionid; sns/userinfo takes either token.
  POST /mock/app.auth {"appid","user","state"?}
                                         SendAuth on the user's phone: {"errCode":0,
                                         "code","state","lang","country"}
  GET /connect/qrconnect?appid&redirect_uri&response_type=code&scope=snsapi_login&state
                                         the website's QR page: the user (chosen as on
                                         the authorize page) scans and confirms at once,
                                         302 to redirect_uri?code&state; mock_deny=1
                                         plays a refusal (state only). It refuses, with
                                         a page and no redirect, a redirect_uri off the
                                         website's callback domains ("该链接无法访问";
                                         --oa-domain sets them, loopback by default), a
                                         scope other than snsapi_login (the same), and
                                         an appid that is not a website's ("Scope 参数错误
                                         或没有 Scope 权限")

Apps come from --app, which may be repeated, and from the environment
variable WXMOCK_APPS, a comma-separated list in the same format:

  WXMOCK_APPS=wx0123456789abcdef:SECRET:OPEN_PLATFORM,wxfedcba9876543210:SECRET2 wxmock

Prefer WXMOCK_APPS: anyone on the machine can read command-line flags
with ps. An app given an OPEN_PLATFORM_ID is bound to that open platform
account, and its logins return a unionid shared with the account's other
apps.

Besides WeChat's paths it serves:
  POST /mock/wx.login {"appid","user"}  a fresh login code for a simulated user
  GET, PUT /mock/faults                  {"latency_ms","system_errors","garbage","errcode_zero"}
  POST /mock/reset                       forget codes, tokens, counters and faults
  GET /mock/stats                        {"calls":{"jscode2session":N,...}}
  POST /mock/getPhoneNumber {"appid","user"}   a getPhoneNumber button's code
  POST /mock/wx.getUserInfo {"appid","user"}   rawData, signature, encryptedData, iv
  POST /mock/user {"user","country_code","phone","nickname","avatar_url"}
                                         what WeChat reports about a user
  POST /mock/expire {"appid","user"?}    invalidate the app's access tokens
                                         (40001), or forget the user's session_key
  POST /mock/msg_sec_check {"word","suggest":"risky"|"review"|"pass","label"?}
                                         msg_sec_check's verdict on text
                                         containing word ("pass" removes it)

Knobs that play WeChat's failures and limits:
  GET, POST, DELETE /mock/rules          list, add, clear errcode rules; a rule
      {"api","errcode","times"?,"fraction"?,"consume"?}
                                         makes api ("jscode2session", "stable_token",
                                         "token", "getuserphonenumber", "checksession",
                                         "oauth2/access_token", "userinfo",
                                         "msg_sec_check"; "*" = any of these) answer
                                         errcode for the next call, the next "times"
                                         calls, or a "fraction" (0..1) of calls;
                                         "consume" runs the call for real first (the code
                                         is spent, as after a real -1). Named only, never
                                         by "*": "qrconnect" shows errcode on the QR page
                                         instead of redirecting (today's refusal);
                                         "app.auth" answers it as SendAuth's errCode
                                         with no code (-2 cancelled, -4 denied)
  POST /mock/user-flags {"user","blocked"?,"snapshot"?}
                                         blocked: jscode2session answers 40226 "code
                                         blocked"; snapshot: web OAuth snsapi_userinfo
                                         opens the snapshot page (see above)
  POST /mock/expire-tokens {"appid"?}    the access tokens of the app (or of every
                                         app) expire now: calls answer 42001
  GET, POST /mock/clock {"advance_seconds"}
                                         move the simulator's clock forward (codes,
                                         tokens, 30 s between force refreshes, days)
  GET, PUT /mock/settings {"session_key_rotation"}
                                         "exchange" (default): every jscode2session
                                         issues a new session_key; "wx.login": every
                                         wx.login replaces it at once, so data the phone
                                         encrypts afterwards does not open with the key
                                         the server holds; "never": keys are kept
  PUT /mock/oauth-domains {"appid","domains"}
                                         an official account's web-auth domains, or a
                                         website's callback domains

Limits as WeChat's: stable_token force_refresh at most 30 s apart (a closer
one answers the current token) and --force-per-day a day (then 45009);
cgi-bin/token --token-per-day a day (then 45009); jscode2session
--user-per-minute per user (then 45011). Days end at midnight Beijing time.

More mini-programs can be taught to a running wxmock (a tenant created in
the console after it started, say): POST /mock/apps {"appid", "secret",
"open_platform_id"?}. The AppID must look like WeChat's ("wx" and 16
lowercase hex digits). Answers 201 when learned, 200 when known with the
same secret and binding, 409 when known with others (the first stays).

Flags:
`

// config is what the command line and the environment ask for.
type config struct {
	addr    string
	apps    []appSpec
	verbose bool
	// userPerMinute is jscode2session calls per WeChat user per minute
	// before 45011; 0 keeps the simulator's default, negative is no limit.
	userPerMinute int
	// riskyWords and reviewWords make msg_sec_check answer risky or review
	// for text that contains them.
	riskyWords, reviewWords []string
	// forcePerDay and tokenPerDay are the daily limits of stable_token
	// force refreshes and of cgi-bin/token; 0 keeps the defaults.
	forcePerDay, tokenPerDay int
	rotation                 string              // session_key rotation mode; "" = exchange
	oauthDomains             map[string][]string // official account → its web-auth domains
}

// errUsage reports a bad command line whose explanation is already printed.
var errUsage = errors.New("wxmock: bad usage")

// appSpec is one simulated app. Its secret must never be printed.
type appSpec struct {
	appid, secret, openPlatform string
	// kind is "" for a mini-program, kindOfficialAccount, or an Open
	// Platform app's wechattest.KindMobileApp or wechattest.KindWebsite.
	kind string
}

const kindOfficialAccount = "officialaccount"

// parseConfig reads args and WXMOCK_APPS (through getenv). Usage goes to out.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("wxmock", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8081", "listen on `HOST:PORT`")
	fs.BoolVar(&cfg.verbose, "verbose", false, "log every request (method, path, status; never parameters)")
	fs.IntVar(&cfg.userPerMinute, "user-per-minute", 0,
		"jscode2session calls per WeChat user per minute before 45011 (`N`; 0 = WeChat's 100, negative = no limit, for load tests)")
	fs.Func("risky-word", "msg_sec_check answers risky (label 20006) for text containing `WORD` (repeatable)", func(s string) error {
		cfg.riskyWords = append(cfg.riskyWords, s)
		return nil
	})
	fs.Func("review-word", "msg_sec_check answers review (label 21000) for text containing `WORD` (repeatable)", func(s string) error {
		cfg.reviewWords = append(cfg.reviewWords, s)
		return nil
	})
	fs.IntVar(&cfg.forcePerDay, "force-per-day", 0, "stable_token force refreshes per app per day before 45009 (`N`; 0 = WeChat's 20, negative = no limit)")
	fs.IntVar(&cfg.tokenPerDay, "token-per-day", 0, "cgi-bin/token calls per app per day before 45009 (`N`; 0 = 2000, negative = no limit)")
	fs.StringVar(&cfg.rotation, "session-key-rotation", "", "when session keys change: `exchange` (default), wx.login or never")
	fs.Func("oa-domain", "web-auth domains of an official account, or callback domains of a website, `APPID=HOST[,HOST]` (repeatable)", func(s string) error {
		appid, hosts, ok := strings.Cut(s, "=")
		if !ok || appid == "" || hosts == "" {
			return errors.New("want APPID=HOST[,HOST]")
		}
		if cfg.oauthDomains == nil {
			cfg.oauthDomains = make(map[string][]string)
		}
		cfg.oauthDomains[appid] = append(cfg.oauthDomains[appid], strings.Split(hosts, ",")...)
		return nil
	})
	// --app values are parsed after fs.Parse: the flag package would quote
	// a rejected value, secret included, in its message.
	var flagApps []string
	fs.Func("app", "simulate the mini-program `APPID:SECRET[:OPEN_PLATFORM_ID]` (repeatable)", func(s string) error {
		flagApps = append(flagApps, s)
		return nil
	})
	var flagOAs []string
	fs.Func("oa", "simulate the official account `APPID:SECRET[:OPEN_PLATFORM_ID]` (repeatable)", func(s string) error {
		flagOAs = append(flagOAs, s)
		return nil
	})
	var flagOpenApps []string
	fs.Func("open-app", "simulate the Open Platform app `APPID:SECRET:OPEN_PLATFORM_ID:KIND`, KIND mobileapp or website (repeatable)", func(s string) error {
		flagOpenApps = append(flagOpenApps, s)
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
	for i, s := range strings.Split(getenv("WXMOCK_APPS"), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		a, err := parseApp(s)
		if err != nil {
			return config{}, fmt.Errorf("WXMOCK_APPS entry %d: %w", i+1, err)
		}
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range flagApps {
		a, err := parseApp(s)
		if err != nil {
			return config{}, fmt.Errorf("--app #%d: %w", i+1, err)
		}
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range strings.Split(getenv("WXMOCK_OFFICIAL_ACCOUNTS"), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		a, err := parseApp(s)
		if err != nil {
			return config{}, fmt.Errorf("WXMOCK_OFFICIAL_ACCOUNTS entry %d: %w", i+1, err)
		}
		a.kind = kindOfficialAccount
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range flagOAs {
		a, err := parseApp(s)
		if err != nil {
			return config{}, fmt.Errorf("--oa #%d: %w", i+1, err)
		}
		a.kind = kindOfficialAccount
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range strings.Split(getenv("WXMOCK_OPEN_APPS"), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		a, err := parseOpenApp(s)
		if err != nil {
			return config{}, fmt.Errorf("WXMOCK_OPEN_APPS entry %d: %w", i+1, err)
		}
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range flagOpenApps {
		a, err := parseOpenApp(s)
		if err != nil {
			return config{}, fmt.Errorf("--open-app #%d: %w", i+1, err)
		}
		cfg.apps = append(cfg.apps, a)
	}
	return cfg, cfg.validate()
}

// parseApp reads APPID:SECRET[:OPEN_PLATFORM_ID]. Its errors never quote
// the input, which holds a secret.
func parseApp(s string) (appSpec, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return appSpec{}, errors.New("want APPID:SECRET[:OPEN_PLATFORM_ID]")
	}
	a := appSpec{appid: parts[0], secret: parts[1]}
	if len(parts) == 3 {
		a.openPlatform = parts[2]
		if a.openPlatform == "" {
			return appSpec{}, fmt.Errorf("app %q: empty OPEN_PLATFORM_ID", a.appid)
		}
	}
	if a.appid == "" || a.secret == "" {
		return appSpec{}, errors.New("APPID and SECRET must not be empty")
	}
	return a, nil
}

// parseOpenApp reads APPID:SECRET:OPEN_PLATFORM_ID:KIND. Its errors never
// quote the input, which holds a secret.
func parseOpenApp(s string) (appSpec, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 4 {
		return appSpec{}, errors.New("want APPID:SECRET:OPEN_PLATFORM_ID:KIND")
	}
	a := appSpec{appid: parts[0], secret: parts[1], openPlatform: parts[2], kind: parts[3]}
	switch {
	case a.appid == "" || a.secret == "":
		return appSpec{}, errors.New("APPID and SECRET must not be empty")
	case a.openPlatform == "":
		return appSpec{}, fmt.Errorf("app %q: an Open Platform app needs its OPEN_PLATFORM_ID", a.appid)
	case a.kind != wechattest.KindMobileApp && a.kind != wechattest.KindWebsite:
		return appSpec{}, fmt.Errorf("app %q: KIND %q: want mobileapp or website", a.appid, a.kind)
	}
	return a, nil
}

func (c config) validate() error {
	if len(c.apps) == 0 {
		return errors.New("no apps: give --app, --oa, --open-app or their environment variables")
	}
	for _, w := range append(append([]string(nil), c.riskyWords...), c.reviewWords...) {
		if w == "" {
			return errors.New("--risky-word and --review-word take a non-empty WORD")
		}
	}
	kinds := make(map[string]string)
	for _, a := range c.apps {
		if _, seen := kinds[a.appid]; seen {
			return fmt.Errorf("app %q given twice", a.appid)
		}
		kinds[a.appid] = a.kind
	}
	for appid := range c.oauthDomains {
		if k := kinds[appid]; k != kindOfficialAccount && k != wechattest.KindWebsite {
			return fmt.Errorf("--oa-domain %q: not an official account (--oa) or a website (--open-app)", appid)
		}
	}
	switch c.rotation {
	case "", wechattest.RotateOnExchange, wechattest.RotateOnLogin, wechattest.RotateNever:
		return nil
	}
	return fmt.Errorf("--session-key-rotation %q: want exchange, wx.login or never", c.rotation)
}
