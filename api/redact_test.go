package api

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Redact(slog.NewJSONHandler(&buf, nil)))
	token := "mas_k_DSmBtzHFat0i-AAPgB27aGvEMZrJ0cFb-KFjYxAuU"
	cases := []struct {
		name   string
		log    func()
		secret string
		keep   string
	}{
		{"secret key", func() { log.Info("x", "secret", "hunter2-app-secret") }, "hunter2-app-secret", `"secret"`},
		{"password key", func() { log.Info("x", "password", "correct horse") }, "correct horse", `"password"`},
		{"token in a message", func() { log.Info("got " + token) }, token, `"got `},
		{"token in an error", func() { log.Warn("x", "err", errors.New("bad session "+token)) }, token, "bad session"},
		{"secret in a URL", func() { log.Warn("x", "url", "https://wx/sns/jscode2session?appid=wx1&secret=s3cr3t&js_code=c0de") }, "s3cr3t", "appid=wx1"},
		{"code in a URL", func() { log.Warn("x", "url", "/sns?js_code=c0de123") }, "c0de123", "js_code="},
		{"bearer header", func() { log.Info("x", "hdr", "Bearer abc.def.ghi") }, "abc.def.ghi", `"hdr"`},
		{"grouped", func() { log.Info("x", slog.Group("req", "session_key", "o0q0otL8aEzpcZL/FT9WsQ==")) }, "o0q0otL8aEzpcZL/FT9WsQ==", `"req"`},
		{"with attrs", func() { log.With("api_key", "mak_abcdefghijklmnopqrstuvwxyz").Info("x") }, "abcdefghijklmnopqrstuvwxyz", `"api_key"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buf.Reset()
			c.log()
			out := buf.String()
			if strings.Contains(out, c.secret) {
				t.Fatalf("secret logged: %s", out)
			}
			if !strings.Contains(out, c.keep) || !strings.Contains(out, redacted) {
				t.Fatalf("redaction lost the context or did not mark it: %s", out)
			}
		})
	}
	buf.Reset()
	log.Info("request", "route", "/t/:tenant/login", "status", 200, "request_id", "CW1Vbb2FFCIDscEy")
	if strings.Contains(buf.String(), redacted) {
		t.Fatalf("an innocent line was redacted: %s", buf.String())
	}
}
