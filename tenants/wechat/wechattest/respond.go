package wechattest

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// WeChat serves sns/* as text/plain and cgi-bin/* as JSON, which is why
// clients must parse the body whatever the header says.
const (
	snsContentType = "text/plain"
	cgiContentType = "application/json; encoding=utf-8"
)

// garbagePage stands for what a broken proxy in front of WeChat sends.
const garbagePage = "<html><head><title>502 Bad Gateway</title></head>" +
	"<body><center><h1>502 Bad Gateway</h1></center><hr><center>stgw</center></body></html>\n"

// outcome is an API's answer: an errcode, or a success body when code is 0.
type outcome struct {
	code int
	body map[string]any
}

func fail(code int) outcome            { return outcome{code: code} }
func succeed(b map[string]any) outcome { return outcome{body: b} }

// api wraps an API handler: it counts the call, applies the faults, and
// writes the outcome as WeChat would, HTTP 200 in every case.
func (s *Server) api(name, contentType string, h func(*http.Request) outcome) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := s.enter(name)
		f := e.faults
		if !wait(r.Context(), f.Latency) {
			return // the client went away
		}
		if f.Garbage && !e.systemError && !e.ruled {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(garbagePage))
			return
		}
		out := outcome{code: codeSystemError}
		switch {
		case e.ruled:
			if e.rule.Consume {
				h(r) // done for real, answered as failed
			}
			out = fail(e.rule.Errcode)
		case !e.systemError:
			out = h(r)
		}
		body := out.body
		switch {
		case out.code != 0:
			body = errorBody(out.code)
		case f.ErrcodeZero:
			body["errcode"], body["errmsg"] = 0, "ok"
		}
		w.Header().Set("Content-Type", contentType)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// wait sleeps for d unless ctx ends first; it reports whether it slept.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeJSON answers a /mock/* request.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
