package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveMetrics serves Prometheus's /metrics on its own address
// (MINIAUTH_METRICS_ADDR), never on the public one: the series name every
// tenant and AppID. It returns a function that stops it gracefully. An
// address that cannot be bound (another node on the same host has the
// default) is logged at error level and leaves the node serving: metrics
// are worth less than logins.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func(context.Context)) {
	if addr == "" {
		return func(context.Context) {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("metrics not served: cannot listen", "addr", addr, "err", err)
		return func(context.Context) {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}
}
