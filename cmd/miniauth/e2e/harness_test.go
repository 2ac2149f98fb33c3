package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants/tenantstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	tenantstest.CleanupProcs()
	os.Exit(code)
}

const (
	appID      = "wx0123456789abcdef"
	appSecret  = "e2e-app-secret-0123456789"
	otherAppID = "wxfedcba9876543210"
	otherSec   = "e2e-other-secret-0123456789"

	adminEmail    = "ops@example.com"
	adminPassword = "correct horse battery staple"
)

// client bounds every request: a request that has not finished after this
// long counts as hung and fails the test.
var client = &http.Client{Timeout: 30 * time.Second}

// stack is one deployment: MySQL, Redis, wxmock, the miniauth binary and
// its configuration, and the tenants acme (appID) and globex (otherAppID).
type stack struct {
	t   *testing.T
	bin string
	env []string
	db  *sqlx.DB
	wx  *wxmock
}

type stackConfig struct {
	mysql *tenantstest.MariaDB     // nil: a database of its own on the shared server
	redis *tenantstest.RedisServer // nil: a prefix of its own on the shared server
}

func newStack(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	s := &stack{t: t, bin: tenantstest.Build(t, "miniauth/cmd/miniauth"), wx: startWxmock(t)}
	var dsn string
	if cfg.mysql == nil {
		s.db, dsn = tenantstest.DB(t)
	} else {
		root, err := sqlx.Open("mysql", cfg.mysql.DSN(""))
		if err != nil {
			t.Fatal(err)
		}
		root.MustExec("CREATE DATABASE e2e CHARACTER SET utf8mb4")
		root.Close()
		dsn = cfg.mysql.DSN("e2e")
		if s.db, err = sqlx.Open("mysql", dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.db.Close() })
	}
	redisURL, prefix := tenantstest.RedisURL(), ""
	if cfg.redis == nil {
		_, prefix = tenantstest.Redis(t)
	} else {
		redisURL, prefix = cfg.redis.URL(), "ma"
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.env = []string{
		"MINIAUTH_MYSQL_DSN=" + dsn,
		"MINIAUTH_REDIS_URL=" + redisURL,
		"MINIAUTH_REDIS_PREFIX=" + prefix,
		"MINIAUTH_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key),
		"MINIAUTH_WECHAT_BASE_URL=" + s.wx.url,
		"MINIAUTH_LOG_LEVEL=warn",
		// The load comes from many phones behind the test's proxy
		// (X-Forwarded-For), not from one address spending its budget.
		"MINIAUTH_TRUSTED_PROXIES=127.0.0.1",
	}
	if cfg.mysql != nil {
		s.cli("", "migrate")
	}
	s.cli(appSecret+"\n", "tenant", "create", "--slug", "acme", "--name", "Acme", "--appid", appID)
	s.cli(otherSec+"\n", "tenant", "create", "--slug", "globex", "--name", "Globex", "--appid", otherAppID)
	s.cli(adminPassword+"\n", "admin", "create", "--email", adminEmail)
	// These tests prove how miniauth rides out outages, drains and
	// propagates changes, not its budgets (api/limits_test.go does that):
	// their load would spend the default budgets on a fast machine, so
	// acme's and globex's are lifted to the most a tenant may have.
	for _, slug := range []string{"acme", "globex"} {
		s.liftLimits(slug)
	}
	return s
}

// liftLimits gives tenant slug the largest rate budgets a tenant may have.
// It writes the settings directly, so it must run before a node caches
// the tenant (newStack calls it before any node starts).
func (s *stack) liftLimits(slug string) {
	s.t.Helper()
	ctx := waitCtx(s.t)
	var raw []byte
	if err := s.db.GetContext(ctx, &raw, "SELECT settings FROM tenants WHERE slug = ?", slug); err != nil {
		s.t.Fatalf("settings of %s: %v", slug, err)
	}
	settings := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &settings); err != nil {
			s.t.Fatalf("settings of %s: %v", slug, err)
		}
	}
	const most = 1_000_000 // ratelimit.Limits.Validate's ceiling
	settings["rate_limits"] = map[string]int{
		"login_per_tenant_per_second": most, "login_per_ip_per_minute": most,
		"login_per_identity_per_minute": most, "session_per_token_per_minute": most, "api_key_per_second": most,
	}
	b, _ := json.Marshal(settings)
	if _, err := s.db.ExecContext(ctx, "UPDATE tenants SET settings = ? WHERE slug = ?", b, slug); err != nil {
		s.t.Fatalf("lifting the budgets of %s: %v", slug, err)
	}
}

// cli runs a miniauth command with the stack's configuration.
func (s *stack) cli(stdin string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("miniauth %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// node is one `miniauth serve` process.
type node struct {
	t    *testing.T
	url  string
	proc *tenantstest.Process
}

// start runs `miniauth serve` and waits until it is ready.
func (s *stack) start(env ...string) *node {
	s.t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(s.t))
	n := &node{t: s.t, url: "http://" + addr}
	// Several nodes share this host: none serves metrics unless its test
	// gives it an address of its own (env comes last and wins).
	n.proc = tenantstest.StartProcess(s.t, s.bin, []string{"serve"},
		append(append(slices.Clone(s.env), "MINIAUTH_ADDR="+addr, "MINIAUTH_METRICS_ADDR=off"), env...))
	deadline := time.Now().Add(15 * time.Second)
	for {
		if r := n.do("GET", "/readyz", ""); r.status == 200 {
			return n
		}
		if n.proc.Exited() || time.Now().After(deadline) {
			s.t.Fatalf("miniauth serve did not become ready; log:\n%s", n.proc.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// result is one request's outcome.
type result struct {
	status int
	code   string // error.code of the envelope
	body   map[string]any
	raw    string
	header http.Header
	err    error // transport error: reset, timeout (hung), refused
	took   time.Duration
}

func (r result) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, strings.TrimSpace(r.raw))
}

func (n *node) do(method, path, body string, header ...string) result {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.url+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := client.Do(req)
	r := result{err: err}
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.status, r.raw, r.header, r.err = resp.StatusCode, string(b), resp.Header, rerr
		_ = json.Unmarshal(b, &r.body)
		if e, ok := r.body["error"].(map[string]any); ok {
			r.code, _ = e["code"].(string)
		}
	}
	r.took = time.Since(start)
	return r
}

// login signs user in to tenant slug through app and returns the result;
// the session token is sessionOf(r).
func (n *node) login(wx *wxmock, slug, app, user string) result {
	n.t.Helper()
	code := wx.code(app, user)
	return n.do("POST", "/t/"+slug+"/login", `{"code":"`+code+`"}`)
}

// mustLogin logs in and returns the session token and the user's public id.
func (n *node) mustLogin(wx *wxmock, slug, app, user string) (token, id string) {
	n.t.Helper()
	r := n.login(wx, slug, app, user)
	if r.status != 200 {
		n.t.Fatalf("login %s on %s: %s", user, n.url, r)
	}
	u, _ := r.body["user"].(map[string]any)
	id, _ = u["id"].(string)
	return sessionOf(r), id
}

func sessionOf(r result) string {
	s, _ := r.body["session"].(string)
	return s
}

func (n *node) me(slug, token string) result {
	return n.do("GET", "/t/"+slug+"/me", "", "Authorization", "Bearer "+token)
}

// admin is a signed-in console admin on one node.
type admin struct {
	n            *node
	cookie, csrf string
}

func (n *node) signIn() *admin {
	n.t.Helper()
	r := n.do("POST", "/admin/api/session", fmt.Sprintf(`{"email":%q,"password":%q}`, adminEmail, adminPassword))
	if r.status != 200 {
		n.t.Fatalf("admin sign-in: %s", r)
	}
	a := &admin{n: n}
	a.csrf, _ = r.body["csrf_token"].(string)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "miniauth_admin" {
			a.cookie = c.Value
		}
	}
	if a.cookie == "" || a.csrf == "" {
		n.t.Fatalf("admin sign-in gave no cookie or CSRF token: %s", r)
	}
	return a
}

// do makes an admin API request and fails the test unless it answers want.
func (a *admin) do(want int, method, path, body string) result {
	a.n.t.Helper()
	r := a.n.do(method, "/admin/api"+path, body, "Cookie", "miniauth_admin="+a.cookie, "X-CSRF-Token", a.csrf)
	if r.status != want {
		a.n.t.Fatalf("admin %s %s = %s, want %d", method, path, r, want)
	}
	return r
}

// wxmock is the WeChat simulator process, knowing acme's and globex's apps.
type wxmock struct {
	t   *testing.T
	url string
}

func startWxmock(t *testing.T) *wxmock {
	t.Helper()
	bin := tenantstest.Build(t, "miniauth/cmd/wxmock")
	addr := "127.0.0.1:" + strconv.Itoa(tenantstest.FreePort(t))
	w := &wxmock{t: t, url: "http://" + addr}
	p := tenantstest.StartProcess(t, bin, []string{"--addr", addr},
		[]string{"WXMOCK_APPS=" + appID + ":" + appSecret + "," + otherAppID + ":" + otherSec})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, err := client.Get(w.url + "/mock/faults"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return w
			}
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("wxmock did not start; log:\n%s", p.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// code plays wx.login for user on app.
func (w *wxmock) code(app, user string) string {
	w.t.Helper()
	var out struct{ Code string }
	w.call("POST", "/mock/wx.login", fmt.Sprintf(`{"appid":%q,"user":%q}`, app, user), &out)
	if out.Code == "" {
		w.t.Fatalf("wxmock gave no code for %s", user)
	}
	return out.Code
}

type faults struct {
	LatencyMS    int  `json:"latency_ms,omitempty"`
	SystemErrors int  `json:"system_errors,omitempty"`
	Garbage      bool `json:"garbage,omitempty"`
}

func (w *wxmock) setFaults(f faults) {
	w.t.Helper()
	b, _ := json.Marshal(f)
	w.call("PUT", "/mock/faults", string(b), nil)
}

// calls is how many jscode2session calls reached the simulator.
func (w *wxmock) calls() int {
	w.t.Helper()
	var out struct{ Calls map[string]int }
	w.call("GET", "/mock/stats", "", &out)
	return out.Calls["jscode2session"]
}

func (w *wxmock) call(method, path, body string, out any) {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		w.t.Fatalf("wxmock %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		w.t.Fatalf("wxmock %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("wxmock %s %s: %v", method, path, err)
		}
	}
}

// eventually polls check until it returns "" (success) or the time is up,
// and then fails with check's last complaint.
func eventually(t *testing.T, within time.Duration, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after %s: %s", what, within, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// load runs requests from several workers until stop is closed and keeps
// every outcome, to check afterwards that each one finished as allowed.
type load struct {
	mu      sync.Mutex
	results []loadResult
	wg      sync.WaitGroup
	stop    chan struct{}
}

type loadResult struct {
	phase string // when the request started
	ended string // when it finished
	what  string
	result
}

// The load's pace and bound: each worker starts at most one request every
// loadInterval and at most loadMost in all, so that a faster machine sends
// no more than this, and a test's load cannot run away on any machine.
const (
	loadInterval = 10 * time.Millisecond
	loadMost     = 6000
)

func runLoad(workers int, phase func() string, work func(worker, i int) (string, result)) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tick := time.NewTicker(loadInterval)
			defer tick.Stop()
			for i := range loadMost {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				p := phase()
				what, r := work(w, i)
				l.mu.Lock()
				l.results = append(l.results, loadResult{phase: p, ended: phase(), what: what, result: r})
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// await waits until some outcome of the load satisfies ok, so that a phase
// of a test lasts as long as the load needs to show it, on a fast machine
// or a starved one, instead of a fixed time.
func (l *load) await(t *testing.T, what string, ok func(loadResult) bool) {
	t.Helper()
	eventually(t, 60*time.Second, "the load: "+what, func() string {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, r := range l.results {
			if ok(r) {
				return ""
			}
		}
		return fmt.Sprintf("not among its %d outcomes yet", len(l.results))
	})
}

// answered says whether r is a what request that started in phase and
// answered status with error code (code "" for a success).
func answered(phase, what string, status int, code string) func(loadResult) bool {
	return func(r loadResult) bool {
		return r.err == nil && r.phase == phase && r.what == what && r.status == status && r.code == code
	}
}

// finish stops the workers and returns every outcome.
func (l *load) finish() []loadResult {
	close(l.stop)
	l.wg.Wait()
	return l.results
}

// phaseClock names the phase a request starts in.
type phaseClock struct {
	mu   sync.Mutex
	name string
}

func (p *phaseClock) set(name string) {
	p.mu.Lock()
	p.name = name
	p.mu.Unlock()
}

func (p *phaseClock) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name
}

// summarize logs, per phase, the count, statuses and longest request.
func summarize(t *testing.T, results []loadResult) {
	t.Helper()
	type agg struct {
		n, failed int
		statuses  map[string]int
		longest   time.Duration
	}
	by := map[string]*agg{}
	var order []string
	for _, r := range results {
		a := by[r.phase]
		if a == nil {
			a = &agg{statuses: map[string]int{}}
			by[r.phase] = a
			order = append(order, r.phase)
		}
		a.n++
		key := strconv.Itoa(r.status)
		if r.code != "" {
			key += " " + r.code
		}
		if r.err != nil {
			key = "transport error"
		}
		a.statuses[key]++
		if r.status != 200 && r.status != 204 {
			a.failed++
		}
		a.longest = max(a.longest, r.took)
	}
	for _, p := range order {
		a := by[p]
		t.Logf("%-10s %4d requests, %5.1f%% not 2xx, longest %4dms, %v", p, a.n,
			100*float64(a.failed)/float64(a.n), a.longest.Milliseconds(), a.statuses)
	}
}

// exit waits for a stopping node to exit and returns its exit code; if it
// does not exit in time, it dumps its goroutines (SIGQUIT) into the failure.
func (n *node) exit(within time.Duration) int {
	n.t.Helper()
	select {
	case <-n.proc.Done():
	case <-time.After(within):
		_ = n.proc.Signal(syscall.SIGQUIT)
		select {
		case <-n.proc.Done():
		case <-time.After(5 * time.Second):
		}
		n.t.Fatalf("miniauth did not exit within %s; log and goroutines:\n%s", within, n.proc.Log.String())
	}
	return n.proc.Wait(n.t, 0)
}

// waitCtx is a context for the test's own database and Redis checks.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mixedLoad logs eight users of acme in on n (and asks /me of each), then
// starts six workers that alternate logins of new users with /me of those
// eight sessions, each request tagged with clock's phase, and waits until
// both kinds have been served. It returns the eight tokens and the load,
// which the caller finishes.
func mixedLoad(t *testing.T, s *stack, n *node, clock *phaseClock) ([]string, *load) {
	t.Helper()
	var tokens []string
	for i := range 8 {
		tok, _ := n.mustLogin(s.wx, "acme", appID, fmt.Sprintf("before-%d", i))
		// A /me of each puts its user in the node's memory, which is what
		// serves /me while MySQL is down.
		if r := n.me("acme", tok); r.status != 200 {
			t.Fatalf("/me of before-%d: %s", i, r)
		}
		tokens = append(tokens, tok)
	}
	clock.set("before")
	l := runLoad(6, clock.get, func(w, i int) (string, result) {
		if i%2 == 0 {
			code := s.wx.code(appID, fmt.Sprintf("load-%d-%d", w, i))
			phone := fmt.Sprintf("10.%d.%d.%d", w, i/256%256, i%256)
			return "login", n.do("POST", "/t/acme/login", `{"code":"`+code+`"}`, "X-Forwarded-For", phone)
		}
		return "me", n.me("acme", tokens[(w+i)%len(tokens)])
	})
	before := func(what string) func(loadResult) bool {
		return func(r loadResult) bool { return answered("before", what, 200, "")(r) && r.ended == "before" }
	}
	l.await(t, "a login served before the fault", before("login"))
	l.await(t, "a /me served before the fault", before("me"))
	return tokens, l
}

// awaitRecovered waits until the load has a login and a /me that started
// in the "recovered" phase and were served.
func awaitRecovered(t *testing.T, l *load) {
	t.Helper()
	l.await(t, "a login served after recovery", answered("recovered", "login", 200, ""))
	l.await(t, "a /me served after recovery", answered("recovered", "me", 200, ""))
}

// waitServing waits until n logs a new user in and answers its /me: the
// node has recovered from the fault named what, by itself.
func waitServing(t *testing.T, s *stack, n *node, d time.Duration, what string) {
	t.Helper()
	try := 0
	eventually(t, d, "service recovered after "+what, func() string {
		try++ // a new user each try: the check spends no one's budget
		r := n.login(s.wx, "acme", appID, fmt.Sprintf("after-%d", try))
		if r.status != 200 {
			return "login: " + r.String()
		}
		if r := n.me("acme", sessionOf(r)); r.status != 200 {
			return "me: " + r.String()
		}
		return ""
	})
}

// judgeOutage checks a load run through an outage of fault: every request
// finished and answered 200 or 503 unavailable (or an outcome also
// accepts), none failed before the fault, all answered after recovery, and
// some did fail with 503 during it. It returns the logins that succeeded.
func judgeOutage(t *testing.T, results []loadResult, fault string, also func(loadResult) bool) (loggedIn []result) {
	t.Helper()
	accepted := func(r loadResult) bool { return r.status == 200 || also != nil && also(r) }
	var down503 int
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Errorf("%s %s request did not finish cleanly: %v (after %s)", r.phase, r.what, r.err, r.took)
		case r.status == 200:
			if r.what == "login" {
				loggedIn = append(loggedIn, r.result)
			}
		case r.status == 503 && r.code == "unavailable":
			down503++
		case accepted(r):
		default:
			t.Errorf("%s %s: %s", r.phase, r.what, r.result)
		}
		if r.ended == "before" && r.status != 200 {
			t.Errorf("before the fault: %s %s", r.what, r.result)
		}
		if r.phase == "recovered" && !accepted(r) {
			t.Errorf("after recovery: %s %s", r.what, r.result)
		}
	}
	if down503 == 0 {
		t.Errorf("no request of the load failed with 503 while %s", fault)
	}
	return loggedIn
}
