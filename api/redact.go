package api

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
)

// Redact wraps h so that nothing secret reaches the log by accident: values
// under secret-sounding keys are replaced, and any string that looks like one
// of miniauth's tokens or a WeChat secret is masked wherever it appears.
// Code should still never log secrets; this is the net under it.
func Redact(h slog.Handler) slog.Handler { return redactor{h} }

// unredacted is h without the redactor Redact put on top, for lines made
// only of the server's own values (the access log).
func unredacted(h slog.Handler) slog.Handler {
	if r, ok := h.(redactor); ok {
		return r.next
	}
	return h
}

type redactor struct{ next slog.Handler }

const redacted = "[REDACTED]"

// secretKeys are attribute keys whose values are never logged. "code" is
// not one: it names error codes in our logs; WeChat codes are caught by value.
var secretKeys = map[string]bool{
	"secret": true, "appsecret": true, "app_secret": true, "password": true, "passwd": true,
	"token": true, "session": true, "session_token": true, "access_token": true, "refresh_token": true,
	"session_key": true, "sessionkey": true, "js_code": true, "phone_code": true,
	"authorization": true, "cookie": true, "set-cookie": true, "api_key": true, "apikey": true,
	"master_key": true, "private_key": true, "signup_ticket": true, "encrypted_data": true, "iv": true,
	"csrf": true, "csrf_token": true,
}

// secretValue matches miniauth's own tokens (prefix + base64url), bearer
// credentials, and query parameters that carry WeChat secrets.
var secretValue = regexp.MustCompile(
	`\b(ma[a-z]{1,2}_[A-Za-z0-9_-]{20,})` + // mas_ session tokens, mak_ API keys, …
		`|(?i:bearer\s+[^\s"']+)` +
		`|(?i:(secret|js_code|session_key|access_token|password|code)=[^&\s"']+)`)

func (r redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, scrub(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return redactor{r.next.WithAttrs(clean)}
}

func (r redactor) WithGroup(name string) slog.Handler { return redactor{r.next.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			clean[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, scrub(err.Error()))
		}
		return slog.String(a.Key, scrub(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func scrub(s string) string {
	// Every alternative of secretValue needs a "_", a "=" or a space: most
	// log values (routes, methods, addresses, slugs) have none and skip the
	// regexp, which took about 8% of the CPU of a /me request (BenchmarkMe).
	if !strings.ContainsAny(s, "_= \t\n\f\r") || !secretValue.MatchString(s) {
		return s
	}
	return secretValue.ReplaceAllStringFunc(s, func(m string) string {
		if i := strings.IndexAny(m, "= "); i > 0 && !strings.HasPrefix(m, "ma") {
			return m[:i+1] + redacted
		}
		return redacted
	})
}
