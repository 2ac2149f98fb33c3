// Command miniauth runs the login platform and administers it:
//
//	miniauth serve                  run the HTTP server
//	miniauth migrate                bring the MySQL schema up to date
//	miniauth tenant create|list     register and list tenants
//	miniauth admin create           add a console admin
//	miniauth version                print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"miniauth/api"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: miniauth <command> [flags]

commands:
  serve                                   run the HTTP server
  migrate                                 apply pending database migrations
  tenant create --slug S --name N --appid A [--if-not-exists]
                                          register a tenant; reads the AppSecret from stdin
  tenant list                             list tenants as JSON
  tenant add-app --slug S --kind K --appid A [--if-not-exists]
                                          add an app of kind officialaccount, mobileapp (Open
                                          Platform mobile app) or website (Open Platform website
                                          app); reads its AppSecret from stdin
  tenant rotate-secret --slug S --appid A replace an app's AppSecret; reads it from stdin
  tenant remove-app --slug S --appid A    remove an app and the identities signed in through it
  tenant sms --slug S --provider tencent|aliyun --access-key-id ID [--sdk-app-id N] --sign-name N --template-id T
                                          set the tenant's SMS settings; reads the secret from stdin
  admin create --email E [--role platform|tenant] [--tenant S] [--if-not-exists]
                                          add a console admin; reads the password from stdin
  apikey create|list|revoke --tenant S [--name N] [--id K]
                                          a tenant backend's API key; create prints the key once
  users import --tenant S [--format csv|json]
                                          import a tenant's existing users from stdin
  signing-key rotate|list --tenant S [--alg ES256|EdDSA]
                                          rotate or list a tenant's JWT signing keys
  version                                 print the version

Configuration comes from MINIAUTH_* environment variables (see README).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "miniauth:", err)
		if errors.Is(err, errOtherMasterKey) {
			os.Exit(3) // scripts/run.sh names the way out
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// errOtherMasterKey: `tenant create --if-not-exists` found the tenant, but
// the master key given cannot open its secrets. miniauth exits with status
// 3 on it.
var errOtherMasterKey = errors.New("another master key")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	if cmd == "version" {
		fmt.Fprintln(stdout, "miniauth", version)
		return nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		logs := newLogBuffer(stderr, 100*time.Millisecond) // a line per request: batched
		defer logs.Close()
		return serve(ctx, cfg, newLogger(logs, cfg.LogLevel))
	case "migrate":
		return migrate(ctx, cfg, logger, stdout)
	case "tenant":
		return tenantCmd(ctx, cfg, rest, stdin, stdout)
	case "users":
		return usersCmd(ctx, cfg, rest, stdin, stdout)
	case "admin":
		return adminCmd(ctx, cfg, rest, stdin, stdout)
	case "apikey":
		return apikeyCmd(ctx, cfg, rest, stdout)
	case "signing-key":
		return signingKeyCmd(ctx, cfg, rest, stdout)
	}
	return errUsage
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(api.Redact(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})))
}
