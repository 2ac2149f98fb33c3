// Command wxmock runs a local simulator of WeChat's server APIs (see the
// package tenants/wechat/wechattest) for development, tests and load tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"miniauth/cmd/internal/simserve"
	"miniauth/tenants/wechat/wechattest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "wxmock:", err)
		os.Exit(1)
	}
}

// run serves the simulator until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) {
		return err
	}
	if err != nil {
		fmt.Fprintf(stderr, "wxmock: %v\nRun wxmock --help for usage.\n", err)
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	fake := wechattest.New(wechattest.Options{UserPerMinute: cfg.userPerMinute,
		ForcePerDay: cfg.forcePerDay, TokenPerDay: cfg.tokenPerDay})
	fake.SetSessionKeyRotation(cfg.rotation)
	for _, a := range cfg.apps {
		switch a.kind {
		case kindOfficialAccount:
			fake.AddOfficialAccount(a.appid, a.secret, a.openPlatform, "")
			fake.SetOAuthDomains(a.appid, cfg.oauthDomains[a.appid]...)
		case wechattest.KindMobileApp, wechattest.KindWebsite:
			if err := fake.AddOpenApp(a.appid, a.secret, a.openPlatform, a.kind); err != nil {
				return err // parseOpenApp let through what the simulator refuses
			}
			fake.SetOAuthDomains(a.appid, cfg.oauthDomains[a.appid]...)
		default:
			fake.AddApp(a.appid, a.secret, a.openPlatform)
		}
		kind := a.kind
		if kind == "" {
			kind = "miniprogram"
		}
		logger.Info("app added", "appid", a.appid, "kind", kind, "open_platform", a.openPlatform)
	}
	for _, w := range cfg.riskyWords {
		fake.SetContentRule(w, "risky", 20006)
	}
	for _, w := range cfg.reviewWords {
		fake.SetContentRule(w, "review", 21000)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	var h http.Handler = fake.Handler()
	if cfg.verbose {
		h = simserve.LogRequests(logger, h)
	}
	logger.Info("wxmock listening", "addr", ln.Addr().String())
	return simserve.Serve(ctx, ln, h, logger)
}
