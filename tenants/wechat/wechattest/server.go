// Package wechattest is an in-process fake of WeChat's server APIs, faithful
// to what the real ones answer: same paths and parameters, HTTP 200 with
// {errcode, errmsg} on errors, single-use login codes, per-user rate limits,
// stable access tokens, and injectable faults. It also plays the phone side
// (wx.login, and the WeChat Open SDK's SendAuth for Open Platform mobile
// apps) and the browser pages (web OAuth's authorize page, a website app's
// qrconnect page), so that tests can log many distinct users in.
package wechattest

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. Zero fields take the defaults noted.
type Options struct {
	Now           func() time.Time // clock for codes, limits and tokens; time.Now
	CodeTTL       time.Duration    // lifetime of a wx.login code, and of an official account's web OAuth code; 5 minutes
	UserPerMinute int              // jscode2session calls per WeChat user per minute (45011); 100, negative = no limit
	// OpenCodeTTL is the lifetime of an Open Platform app's code (SendAuth,
	// qrconnect); 10 minutes, the website doc's figure (wechat-open-api.md
	// §2.2; the mobile doc gives none, §1.2).
	OpenCodeTTL time.Duration
	// PhonePerMinute limits getuserphonenumber calls per app per minute
	// (45011); 0 = no limit (WeChat documents no number).
	PhonePerMinute int
	// ForcePerDay limits stable_token force refreshes per app per day
	// (45009); 20, as WeChat allows; negative = no limit.
	ForcePerDay int
	// TokenPerDay limits cgi-bin/token calls per app per day (45009); 2000,
	// negative = no limit (2000 is the official-account figure; WeChat
	// documents none for mini-programs).
	TokenPerDay int
}

// Server is a fake WeChat. It is safe for concurrent use.
type Server struct {
	now       func() time.Time
	codeTTL   time.Duration
	openTTL   time.Duration
	perMinute int
	phoneMax  int
	forceMax  int
	tokenMax  int
	skew      atomic.Int64 // nanoseconds the clock was moved forward (Advance)
	mux       *http.ServeMux

	mu          sync.Mutex
	apps        map[string]app
	codes       map[string]grant
	lastSweep   time.Time
	users       map[string]window // WeChat user → calls in the current minute
	sessionKeys map[appUser]string
	stable      map[string]stableToken // appid → its stable access_token
	calls       map[string]int
	faults      Faults

	tokens      map[string]issuedToken // every access_token handed out, until it expires
	lastToken   map[string]string      // appid → its latest cgi-bin/token
	openids     map[string]appUser     // openid → whom it names, for checksession
	phoneCodes  map[string]grant       // getPhoneNumber button codes
	phoneCalls  map[string]window      // appid → getuserphonenumber calls this minute
	people      map[string]person      // phone numbers and profiles set by tests
	oauthCodes  map[string]oauthGrant  // web OAuth codes
	oauthTokens map[string]oauthGrant  // web OAuth access tokens

	visits       map[appUser]time.Time  // last jscode2session of a user in an app (msg_sec_check)
	contentRules map[string]contentRule // msg_sec_check verdicts by word
	rules        []Rule                 // injected errcodes (rules.go)
	flags        map[string]UserFlags   // blocked and snapshot users, set by tests
	forced       map[string]dayCount    // appid → stable_token force refreshes today
	tokenCalls   map[string]dayCount    // appid → cgi-bin/token calls today
	rotation     string                 // when session keys change (rotation.go)
}

type app struct {
	secret       string
	openPlatform string   // "" when not bound to an open platform account
	kind         string   // kindMiniProgram, kindOfficialAccount, KindMobileApp or KindWebsite
	domains      []string // web-auth domains of an official account or website; none = loopback (domains.go)
}

// Kinds of simulated apps besides KindMobileApp and KindWebsite (openapps.go).
const (
	kindMiniProgram     = "" // the zero app: what AddApp adds
	kindOfficialAccount = "officialaccount"
)

type appUser struct{ appid, user string }

// New returns a Server without apps; add them with AddApp.
func New(opts Options) *Server {
	s := &Server{
		now:       opts.Now,
		codeTTL:   opts.CodeTTL,
		openTTL:   opts.OpenCodeTTL,
		perMinute: opts.UserPerMinute,
		phoneMax:  opts.PhonePerMinute,
		forceMax:  opts.ForcePerDay,
		tokenMax:  opts.TokenPerDay,
		apps:      make(map[string]app),

		contentRules: make(map[string]contentRule),
		flags:        make(map[string]UserFlags),
	}
	base := opts.Now
	if base == nil {
		base = time.Now
	}
	s.now = func() time.Time { return base().Add(time.Duration(s.skew.Load())) }
	if s.forceMax == 0 {
		s.forceMax = 20
	}
	if s.tokenMax == 0 {
		s.tokenMax = 2000
	}
	if s.codeTTL <= 0 {
		s.codeTTL = 5 * time.Minute
	}
	if s.openTTL <= 0 {
		s.openTTL = 10 * time.Minute
	}
	if s.perMinute == 0 {
		s.perMinute = 100
	}
	s.resetLocked()
	s.mux = s.routes()
	return s
}

// AddApp registers a mini-program, or replaces its secret and binding.
// openPlatformID "" means not bound: code2Session then returns no unionid.
func (s *Server) AddApp(appid, secret, openPlatformID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appid] = app{secret: secret, openPlatform: openPlatformID}
}

// Handler serves WeChat's API paths and the /mock/* control endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/sns/jscode2session", s.api("jscode2session", snsContentType, s.jscode2session))
	mux.Handle("/cgi-bin/stable_token", s.api("stable_token", cgiContentType, s.stableToken))
	mux.Handle("/cgi-bin/token", s.api("token", cgiContentType, s.token))
	mux.Handle("/wxa/business/getuserphonenumber", s.api("getuserphonenumber", cgiContentType, s.getUserPhoneNumber))
	mux.Handle("/wxa/checksession", s.api("checksession", cgiContentType, s.checkSession))
	mux.Handle("/sns/oauth2/access_token", s.api("oauth2/access_token", snsContentType, s.oauthAccessToken))
	mux.Handle("/sns/userinfo", s.api("userinfo", snsContentType, s.oauthUserInfo))
	mux.Handle("/wxa/msg_sec_check", s.api("msg_sec_check", cgiContentType, s.msgSecCheck))
	mux.HandleFunc("GET /connect/oauth2/authorize", s.authorize)
	mux.HandleFunc("GET /connect/qrconnect", s.qrconnect)
	mux.HandleFunc("POST /mock/app.auth", s.mockAppAuth)
	mux.HandleFunc("POST /mock/getPhoneNumber", s.mockPhoneCode)
	mux.HandleFunc("POST /mock/wx.getUserInfo", s.mockUserInfo)
	mux.HandleFunc("POST /mock/user", s.mockUser)
	mux.HandleFunc("POST /mock/expire", s.mockExpire)
	mux.HandleFunc("POST /mock/msg_sec_check", s.mockContentRule)
	mux.HandleFunc("POST /mock/wx.login", s.mockLogin)
	mux.HandleFunc("POST /mock/apps", s.postApps) // apps.go
	mux.HandleFunc("GET /mock/faults", s.getFaults)
	mux.HandleFunc("PUT /mock/faults", s.putFaults)
	mux.HandleFunc("POST /mock/reset", s.postReset)
	mux.HandleFunc("GET /mock/stats", s.getStats)
	s.failureRoutes(mux)
	return mux
}

// Calls reports how many requests reached api ("jscode2session",
// "stable_token", "token", "getuserphonenumber", "checksession",
// "oauth2/access_token", "userinfo", "msg_sec_check", and the pages
// and phone-side calls "qrconnect" and "app.auth"), faulted ones
// included.
func (s *Server) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// SessionKey returns the session_key last issued to user in appid, or "".
func (s *Server) SessionKey(appid, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionKeys[appUser{appid, user}]
}

// Reset forgets codes, session keys, tokens, counters and faults; apps and
// the phone numbers and profiles set with SetPerson stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.codes = make(map[string]grant)
	s.users = make(map[string]window)
	s.sessionKeys = make(map[appUser]string)
	s.stable = make(map[string]stableToken)
	s.calls = make(map[string]int)
	s.faults = Faults{}
	s.tokens = make(map[string]issuedToken)
	s.lastToken = make(map[string]string)
	s.openids = make(map[string]appUser)
	s.phoneCodes = make(map[string]grant)
	s.phoneCalls = make(map[string]window)
	s.oauthCodes = make(map[string]oauthGrant)
	s.oauthTokens = make(map[string]oauthGrant)
	s.visits = make(map[appUser]time.Time)
	s.rules = nil
	s.forced = make(map[string]dayCount)
	s.tokenCalls = make(map[string]dayCount)
	s.rotation = RotateOnExchange
	if s.people == nil {
		s.people = make(map[string]person)
	}
	s.lastSweep = s.now()
}
