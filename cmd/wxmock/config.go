package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `Usage: wxmock [--addr HOST:PORT] [--app APPID:SECRET[:OPEN_PLATFORM_ID]]...
              [--oa APPID:SECRET[:OPEN_PLATFORM_ID]]... [--user-per-minute N] [--verbose]

wxmock simulates WeChat's server APIs (sns/jscode2session, cgi-bin/token,
cgi-bin/stable_token, wxa/business/getuserphonenumber, wxa/checksession,
sns/oauth2/access_token, sns/userinfo), WeChat's web OAuth authorize page
(/connect/oauth2/authorize, which consents at once and redirects back with
a code), and the phone side of wx.login, getPhoneNumber and wx.getUserInfo,
for development, tests and load tests.

Official accounts (web OAuth of H5 pages) come from --oa and from
WXMOCK_OFFICIAL_ACCOUNTS, in the same format as apps. The authorize page
plays the user named by its mock_user parameter, else the wxmock_user
cookie, else "h5-user"; mock_deny=1 plays a refusal.

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
  POST /mock/expire {"appid","user"?}    expire the app's access tokens, or
                                         the user's session_key

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
}

// errUsage reports a bad command line whose explanation is already printed.
var errUsage = errors.New("wxmock: bad usage")

// appSpec is one simulated mini-program. Its secret must never be printed.
type appSpec struct {
	appid, secret, openPlatform string
	official                    bool // an official account (web OAuth)
}

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
		a.official = true
		cfg.apps = append(cfg.apps, a)
	}
	for i, s := range flagOAs {
		a, err := parseApp(s)
		if err != nil {
			return config{}, fmt.Errorf("--oa #%d: %w", i+1, err)
		}
		a.official = true
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

func (c config) validate() error {
	if len(c.apps) == 0 {
		return errors.New("no apps: give --app or WXMOCK_APPS")
	}
	seen := make(map[string]bool)
	for _, a := range c.apps {
		if seen[a.appid] {
			return fmt.Errorf("app %q given twice", a.appid)
		}
		seen[a.appid] = true
	}
	return nil
}
