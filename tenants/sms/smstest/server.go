// Package smstest is an in-process simulator of Tencent Cloud SMS (SendSms
// 2021-01-11) and Alibaba Cloud SMS (Dysmsapi SendSms 2017-05-25), faithful
// to what the real services answer (sms-api.md): both on POST /, told apart
// by their headers; request signatures verified (TC3-HMAC-SHA256;
// ACS3-HMAC-SHA256 and the RPC HMAC-SHA1); timestamps within the services'
// windows; Alibaba's nonces single use; their per-number limits; their error
// shapes. It keeps an inbox per phone for tests (GET /mock/sms) and plays
// any error code on demand (POST /mock/faults). cmd/smsmock serves it.
package smstest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. Zero fields take the defaults noted.
type Options struct {
	Now func() time.Time // time.Now
	// TencentPerDay is Tencent's per-number limit per (Beijing) calendar
	// day (LimitExceeded.PhoneNumberDailyLimit); 10, negative = none. The
	// 30-second same-content limit always applies.
	TencentPerDay int
	// Alibaba's per-number limits for one sign (isv.BUSINESS_LIMIT_CONTROL),
	// rolling: 1 a minute, 5 an hour, 10 a day; negative = none.
	AliyunPerMinute, AliyunPerHour, AliyunPerDay int
}

// Server is the simulator. It is safe for concurrent use.
type Server struct {
	now  func() time.Time
	skew atomic.Int64
	opts Options
	mux  *http.ServeMux

	mu        sync.Mutex
	tencent   map[string]tencentAccount // SecretId → account
	aliyun    map[string]string         // AccessKeyId → AccessKeySecret
	signs     map[string]bool           // accepted sign names; none = any
	templates map[string]string         // accepted template ids → text; none = any
	inbox     map[string][]Message      // E.164 phone → messages, oldest first
	sent      map[string][]time.Time    // provider + phone (+ content) → send times, for limits
	nonces    map[string]time.Time      // Alibaba nonces seen → when they may be forgotten
	faults    []Fault
	calls     map[string]int
}

type tencentAccount struct {
	secretKey string
	apps      map[string]bool // SmsSdkAppIds of the account
}

// New returns a Server without accounts; add them with AddTencent and
// AddAliyun.
func New(opts Options) *Server {
	s := &Server{opts: opts, tencent: make(map[string]tencentAccount), aliyun: make(map[string]string),
		signs: make(map[string]bool), templates: make(map[string]string)}
	base := opts.Now
	if base == nil {
		base = time.Now
	}
	s.now = func() time.Time { return base().Add(time.Duration(s.skew.Load())) }
	orDefault(&s.opts.TencentPerDay, 10)
	orDefault(&s.opts.AliyunPerMinute, 1)
	orDefault(&s.opts.AliyunPerHour, 5)
	orDefault(&s.opts.AliyunPerDay, 10)
	s.resetLocked()
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.serveAPI)
	mux.HandleFunc("GET /mock/sms", s.getInbox)
	mux.HandleFunc("GET /mock/faults", s.getFaults)
	mux.HandleFunc("POST /mock/faults", s.postFault)
	mux.HandleFunc("DELETE /mock/faults", s.deleteFaults)
	mux.HandleFunc("POST /mock/reset", s.postReset)
	mux.HandleFunc("POST /mock/clock", s.postClock)
	mux.HandleFunc("GET /mock/stats", s.getStats)
	s.mux = mux
	return s
}

// AddTencent registers a Tencent Cloud account (SecretId, SecretKey) and
// the SDK apps (SmsSdkAppId) it owns.
func (s *Server) AddTencent(secretID, secretKey string, sdkAppIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	apps := make(map[string]bool)
	for _, a := range sdkAppIDs {
		apps[a] = true
	}
	s.tencent[secretID] = tencentAccount{secretKey: secretKey, apps: apps}
}

// AddAliyun registers an Alibaba Cloud AccessKey.
func (s *Server) AddAliyun(accessKeyID, accessKeySecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliyun[accessKeyID] = accessKeySecret
}

// AddSign approves a sign name. Until one is added, every sign passes.
func (s *Server) AddSign(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signs[name] = true
}

// AddTemplate approves a template: its id (Tencent's digits or Alibaba's
// "SMS_…") and text, with {1}, {2}… (Tencent) or ${name} (Alibaba)
// variables. Until one is added, every template passes with a default text.
func (s *Server) AddTemplate(id, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[id] = text
}

// Advance moves the simulator's clock forward by d (limits, timestamps).
func (s *Server) Advance(d time.Duration) {
	if d > 0 {
		s.skew.Add(int64(d))
	}
}

// Handler serves both providers' API on / and the /mock/* endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

// Reset forgets the inbox, the limits' counters, the nonces and the
// faults; accounts, signs and templates stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.inbox = make(map[string][]Message)
	s.sent = make(map[string][]time.Time)
	s.nonces = make(map[string]time.Time)
	s.faults = nil
	s.calls = make(map[string]int)
}

// Calls reports how many API requests reached provider ("tencent" or
// "aliyun"), refused ones included.
func (s *Server) Calls(provider string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[provider]
}

// serveAPI tells the providers apart: Tencent's requests carry X-TC-Action.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-TC-Action") != "" || strings.HasPrefix(r.Header.Get("Authorization"), "TC3-") {
		s.serveTencent(w, r)
		return
	}
	s.serveAliyun(w, r)
}

func orDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID is a UUID, as both services answer.
func requestID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}
