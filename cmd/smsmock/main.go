// Command smsmock runs a local simulator of Tencent Cloud SMS and Alibaba
// Cloud SMS (see the package tenants/sms/smstest) for development and tests.
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
	"miniauth/tenants/sms/smstest"
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
		fmt.Fprintln(os.Stderr, "smsmock:", err)
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
		fmt.Fprintf(stderr, "smsmock: %v\nRun smsmock --help for usage.\n", err)
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	sim := newSimulator(cfg, logger)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	var h http.Handler = sim.Handler()
	if cfg.verbose {
		h = simserve.LogRequests(logger, h)
	}
	logger.Info("smsmock listening", "addr", ln.Addr().String(),
		"inbox", "curl 'http://"+ln.Addr().String()+"/mock/sms?phone=%2B8613800138000'")
	return simserve.Serve(ctx, ln, h, logger)
}

// newSimulator builds the simulator the configuration asks for; it logs
// the accounts by id, never their secrets.
func newSimulator(cfg config, logger *slog.Logger) *smstest.Server {
	sim := smstest.New(smstest.Options{TencentPerDay: cfg.tencentPerDay, AliyunPerMinute: cfg.aliyunPerMinute,
		AliyunPerHour: cfg.aliyunPerHour, AliyunPerDay: cfg.aliyunPerDay})
	apps := make(map[string][]string)
	keys := make(map[string]string)
	var order []string
	for _, a := range cfg.tencent {
		if _, ok := keys[a.secretID]; !ok {
			order = append(order, a.secretID)
		}
		keys[a.secretID] = a.secretKey
		apps[a.secretID] = append(apps[a.secretID], a.sdkAppID)
	}
	for _, id := range order {
		sim.AddTencent(id, keys[id], apps[id]...)
		logger.Info("tencent account added", "secret_id", id, "sdk_app_ids", apps[id])
	}
	for _, a := range cfg.aliyun {
		sim.AddAliyun(a.accessKeyID, a.secret)
		logger.Info("aliyun account added", "access_key_id", a.accessKeyID)
	}
	for _, s := range cfg.signs {
		sim.AddSign(s)
	}
	for id, text := range cfg.templates {
		sim.AddTemplate(id, text)
	}
	return sim
}
