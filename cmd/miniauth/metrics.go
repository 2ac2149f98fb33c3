package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveMetrics serves Prometheus's /metrics on its own address
// (MINIAUTH_METRICS_ADDR), never on the public one: the series name every
// tenant and AppID. It returns a function that stops it gracefully. An
// address that cannot be bound stops the start, as the main address does:
// an operator who asked for metrics there is told at once, not by a gap
// in the graphs (several nodes on one host each need their own address).
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func(context.Context), err error) {
	if addr == "" {
		return func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
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
	}, nil
}
