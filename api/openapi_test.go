package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"miniauth/docs"
)

// Every request the tests make to a miniauth server, and its answer, is
// checked against docs/openapi.yaml: the test HTTP clients' transport
// (specTransport) validates the request (its path, parameters, security
// and body) and the response (a declared status, its body's schema).
// A request that was answered 4xx is not itself checked, since tests send
// malformed requests on purpose; the answer still must be a documented
// error. Failures are collected and fail the suite at the end (TestMain),
// named by method, path and status.

var spec struct {
	once  sync.Once
	v     validator.Validator
	model *v3.Document
	err   error
	mu    sync.Mutex
	fails []string
}

func loadSpec() (validator.Validator, *v3.Document, error) {
	spec.once.Do(func() {
		doc, err := libopenapi.NewDocument(docs.OpenAPIYAML())
		if err != nil {
			spec.err = err
			return
		}
		m, err := doc.BuildV3Model()
		if err != nil {
			spec.err = err
			return
		}
		spec.model = &m.Model
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			spec.err = errs[0]
			return
		}
		spec.v = v
	})
	return spec.v, spec.model, spec.err
}

type specTransport struct{ next http.RoundTripper }

func (t specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := t.next.RoundTrip(req)
	// Only miniauth answers with X-Request-Id: the WeChat simulator and
	// the tests' own servers are not described by the spec.
	if err != nil || res.Header.Get("X-Request-Id") == "" {
		return res, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	// Not checked: CORS preflights, which the middleware answers for
	// every path under /t/, and the console's files, whose paths span
	// segments that an OpenAPI path template cannot.
	if req.Method != http.MethodOptions && !strings.HasPrefix(req.URL.Path, "/console") {
		if msgs := specCheck(req, reqBody, res, raw); len(msgs) > 0 {
			body := string(raw)
			if len(body) > 300 {
				body = body[:300] + "…"
			}
			specFail(fmt.Sprintf("%s %s → %d", req.Method, req.URL.Path, res.StatusCode),
				strings.Join(msgs, "; ")+"\n      body: "+body)
		}
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	return res, nil
}

// specCheck returns what is wrong with a call, by docs/openapi.yaml.
func specCheck(req *http.Request, reqBody []byte, res *http.Response, raw []byte) []string {
	v, _, err := loadSpec()
	if err != nil {
		return []string{"docs/openapi.yaml does not load: " + err.Error()}
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	var msgs []string
	if res.StatusCode < 400 || res.StatusCode >= 500 {
		if ok, errs := v.ValidateHttpRequest(r); !ok {
			for _, e := range errs {
				msgs = append(msgs, "request: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
			}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := v.ValidateHttpResponse(r, res); !ok {
		for _, e := range errs {
			// A method or path the server does not have is rightly 404
			// or 405 (TestOpenAPICoversEveryRoute keeps the spec and the
			// routes in step).
			if (e.IsPathMissingError() || e.IsOperationMissingError()) && (res.StatusCode == 404 || res.StatusCode == 405) {
				continue
			}
			msgs = append(msgs, "response: "+describe(e.Message, e.Reason, e.SchemaValidationErrors))
		}
	}
	return msgs
}

func describe(msg, reason string, schemaErrs any) string {
	s := msg
	if reason != "" && reason != msg {
		s += ": " + reason
	}
	if b, err := json.Marshal(schemaErrs); err == nil && string(b) != "null" && string(b) != "[]" {
		if len(b) > 400 {
			b = append(b[:400], "…"...)
		}
		s += " " + string(b)
	}
	return s
}

func specFail(where, msg string) {
	spec.mu.Lock()
	defer spec.mu.Unlock()
	spec.fails = append(spec.fails, where+": "+msg)
}

// specFailures reports what the suite's calls broke of the spec, each
// distinct failure once.
func specFailures() []string {
	spec.mu.Lock()
	defer spec.mu.Unlock()
	out := slices.Clone(spec.fails)
	sort.Strings(out)
	return slices.Compact(out)
}

func init() {
	// Every client the tests use to reach the API.
	for _, c := range []*http.Client{httpClient, noRedirects, http.DefaultClient} {
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = specTransport{next}
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	v, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Error(describe(e.Message, e.Reason, e.SchemaValidationErrors))
		}
	}
}

// The spec describes exactly the routes the server has.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t)
	_, model, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodOptions || r.Method == "USE" {
			continue
		}
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("%s is served but not in docs/openapi.yaml", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("%s is in docs/openapi.yaml but not served", k)
		}
	}
}

// openAPIPath turns a Fiber route ("/t/:tenant/me", "/console/*") into an
// OpenAPI path template ("/t/{tenant}/me", "/console/{path}").
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":"):
			parts[i] = "{" + strings.TrimSuffix(s[1:], "?") + "}"
		case s == "*":
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/")
}

// GET /openapi.json serves the description, cacheably, to anyone.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	var etag string
	runStory(t, e, scenario{method: "GET", path: "/openapi.json"}, []scenario{
		{name: "the spec", status: 200, check: func(t *testing.T, r response) {
			if r.str("openapi") != "3.1.0" || r.Header.Get("ETag") == "" || !strings.Contains(r.Header.Get("Cache-Control"), "max-age") {
				t.Fatalf("GET /openapi.json: %v %.200s", r.Header, r.Raw)
			}
			if r.obj("paths")["/t/{tenant}/login"] == nil {
				t.Fatalf("the JSON has no login path: %.300s", r.Raw)
			}
			etag = r.Header.Get("ETag")
		}},
		{name: "revalidation", headerFn: func(*env) []string { return []string{"If-None-Match", etag} }, raw: true, status: 304},
	})
}

func reportSpecFailures() int {
	fails := specFailures()
	if len(fails) == 0 {
		return 0
	}
	fmt.Fprintf(os.Stderr, "%d calls of the test suite do not match docs/openapi.yaml:\n", len(fails))
	for _, f := range fails {
		fmt.Fprintln(os.Stderr, "  ", f)
	}
	return 1
}

// The check itself catches an answer that drifted from the spec.
func TestSpecCheckCatchesDrift(t *testing.T) {
	req, _ := http.NewRequest("GET", "http://127.0.0.1/t/acme/me", nil)
	req.Header.Set("Authorization", "Bearer mas_x")
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"required fields missing", `{"user":{"id":"u_1"}}`, 200},
		{"undeclared status", `{"error":{"code":"internal","message":"m","request_id":"r"}}`, 418},
		{"unknown error code", `{"error":{"code":"no_such_code","message":"m","request_id":"r"}}`, 401},
	} {
		res := &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"application/json"}}}
		if msgs := specCheck(req, nil, res, []byte(c.body)); len(msgs) == 0 {
			t.Errorf("%s: not caught", c.name)
		}
	}
}
