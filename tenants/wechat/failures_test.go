package wechat_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/wechattest"
)

const stubCode = "CODEabcdefghijklmnopqrstuvwxyz01"

// TestReplies feeds the client hand-written replies.
func TestReplies(t *testing.T) {
	success := `{"session_key":"5tF5KuDigyB6e4m7FigHvw==","openid":"orWy35UBNFZyReiUYVZvtPrqht-0"}`
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		unavailable bool
	}{
		{"text/plain JSON", 200, "text/plain", success, false},
		{"HTML content type, JSON body", 200, "text/html", success, false},
		{"errcode 0 and ok", 200, "text/plain", `{"errcode":0,"errmsg":"ok","session_key":"a2V5","openid":"o1"}`, false},
		{"session_key missing", 200, "text/plain", `{"openid":"o1"}`, true},
		{"openid missing", 200, "text/plain", `{"session_key":"a2V5"}`, true},
		{"JSON null", 200, "text/plain", `null`, true},
		{"JSON array", 200, "text/plain", `[]`, true},
		{"HTML page", 200, "text/html", "<html><body>502 Bad Gateway</body></html>", true},
		{"empty body", 200, "text/plain", "", true},
		{"HTTP 502 with JSON", 502, "application/json", success, true},
		{"body over 64 KiB", 200, "text/plain", `{"openid":"o1","session_key":"a2V5","pad":"` + strings.Repeat("x", 70<<10) + `"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			s, err := newClient(srv.URL).Code2Session(context.Background(), appID, appSecret, stubCode)
			if !tt.unavailable {
				if err != nil || s.OpenID == "" || s.SessionKey == "" {
					t.Fatalf("got %+v, %v; want a session", s, err)
				}
				return
			}
			wantClean(t, err, stubCode)
			if !errors.Is(err, wechat.ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"session_key":"a2V5","openid":"o1"}`))
	}))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer srv.Close()
	_, err := newClient(srv.URL).Code2Session(context.Background(), appID, appSecret, stubCode)
	wantClean(t, err, stubCode)
	if !errors.Is(err, wechat.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

func TestUnavailable(t *testing.T) {
	closed := closedURL(t)
	tests := []struct {
		name   string
		faults wechattest.Faults
		url    string // overrides the fake's
		client wechat.Config
		ctx    func() (context.Context, context.CancelFunc)
		cause  error // also wrapped, when set
	}{
		{name: "garbage", faults: wechattest.Faults{Garbage: true}},
		{name: "latency beyond the attempt timeout", faults: wechattest.Faults{Latency: 5 * time.Second}, cause: context.DeadlineExceeded},
		{name: "retry beyond the total timeout", faults: wechattest.Faults{SystemErrors: 1},
			client: wechat.Config{TotalTimeout: 100 * time.Millisecond, RetryDelay: time.Hour}, cause: context.DeadlineExceeded},
		// The attempt timeout is far beyond the cancel, so that a starved
		// machine cannot let the timeout win the race.
		{name: "caller cancels", faults: wechattest.Faults{Latency: 5 * time.Second}, cause: context.Canceled,
			client: wechat.Config{AttemptTimeout: 30 * time.Second, TotalTimeout: 30 * time.Second},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}},
		{name: "closed port", url: closed},
		{name: "unparsable base URL", url: "http://bad host:-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, wechattest.Options{})
			f.SetFaults(tt.faults)
			cfg := tt.client
			cfg.BaseURL = f.url
			if tt.url != "" {
				cfg.BaseURL = tt.url
			}
			if cfg.AttemptTimeout == 0 {
				cfg.AttemptTimeout = 100 * time.Millisecond
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			code := f.code(t, appID, "u")
			_, err := wechat.New(cfg).Code2Session(ctx, appID, appSecret, code)
			wantClean(t, err, code)
			if !errors.Is(err, wechat.ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.cause)
			}
		})
	}
}

// closedURL is the address of a port nothing listens on any more.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
