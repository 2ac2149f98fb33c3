package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"miniauth/migrations"
	"miniauth/tenants"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/audit"
	"miniauth/tenants/keyring"
	"miniauth/tenants/sessions"
)

// bench is one whole run's state.
type bench struct {
	o         options
	pprofAddr string // miniauth's profiler, with --profiles
	db        *sqlx.DB
	rdb       *redis.Client
	keys      *keyring.Ring
	reg       *tenants.Registry
	sessions  *sessions.Store
	wxURL     string
	smsURL    string // the SMS simulator (sms.go)
	apiURL    string
	floorURL  string
	server    *proc
	floor     *proc
	wx        *proc
	redisPID  int
	mysqlPID  int
	measured  []measured
	notes     []string
	runID     int
	apiKeys   map[string]string
	// introspect is whether miniauth serves POST /t/{tenant}/introspect.
	introspect bool
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "mabench: "+format+"\n", a...)
}

func run(ctx context.Context, o options) error {
	b := &bench{o: o, apiKeys: map[string]string{}}
	rootDSN := "root:@tcp(" + o.mysqlAddr + ")/?parseTime=true&charset=utf8mb4&multiStatements=true"
	root, err := sqlx.Open("mysql", rootDSN)
	if err != nil {
		return err
	}
	defer root.Close()
	// miniauth and the floor hold up to 64 connections each; MariaDB's
	// default of 151 leaves too little for the seeding and for anyone else.
	var maxConns int
	if err := root.GetContext(ctx, &maxConns, `SELECT @@max_connections`); err == nil && maxConns < 400 {
		if _, err := root.ExecContext(ctx, `SET GLOBAL max_connections = 400`); err == nil {
			b.logf("raised MariaDB's max_connections from %d to 400", maxConns)
		}
	}
	if _, err := root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+o.database+"`"); err != nil {
		return err
	}
	if _, err := root.ExecContext(ctx, "CREATE DATABASE `"+o.database+"` CHARACTER SET utf8mb4"); err != nil {
		return err
	}
	dsn := "root:@tcp(" + o.mysqlAddr + ")/" + o.database + "?parseTime=true&charset=utf8mb4&loc=UTC"
	if b.db, err = sqlx.Open("mysql", dsn); err != nil {
		return err
	}
	b.db.SetMaxOpenConns(16)
	defer b.db.Close()
	if _, err := migrations.Up(ctx, b.db.DB, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := b.db.ExecContext(ctx, floorTable); err != nil {
		return err
	}
	b.rdb = redis.NewClient(&redis.Options{Addr: o.redisAddr, DB: o.redisDB, PoolSize: 128})
	defer b.rdb.Close()
	if err := b.rdb.FlushDB(ctx).Err(); err != nil {
		return err
	}
	if !o.keep {
		defer func() {
			cctx := context.Background()
			_ = b.rdb.FlushDB(cctx).Err()
			_, _ = root.ExecContext(cctx, "DROP DATABASE IF EXISTS `"+o.database+"`")
		}()
	}

	var mk [32]byte
	_, _ = rand.Read(mk[:])
	masterKey := base64.StdEncoding.EncodeToString(mk[:])
	if b.keys, err = keyring.New(masterKey); err != nil {
		return err
	}
	b.reg = tenants.NewRegistry(b.db, b.keys)
	b.sessions = sessions.NewStore(b.rdb, o.prefix, b.keys)

	logDir, err := os.MkdirTemp("", "mabench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(logDir)

	// The simulator knows every tenant's app from the start.
	var apps []string
	for i := 1; i <= o.tenants; i++ {
		t := tenantSpec(i)
		apps = append(apps, t.appid+":"+t.secret)
	}
	appsEnv := strings.Join(apps, ",")
	wxAddr, _ := freeAddr()
	wx, err := start("wxmock", logDir, []string{"WXMOCK_APPS=" + appsEnv}, o.bin+"/wxmock",
		"--addr", wxAddr, "--user-per-minute", "-1")
	if err != nil {
		return err
	}
	defer wx.stop()
	b.wxURL = "http://" + wxAddr
	if err := waitHTTP(ctx, wx, b.wxURL+"/mock/stats", 200); err != nil {
		return err
	}
	smsAddr, _ := freeAddr()
	sm, err := start("smsmock", logDir, []string{"SMSMOCK_TENCENT=" + smsID + ":" + smsKey + ":" + smsApp}, o.bin+"/smsmock",
		"--addr", smsAddr, "--tencent-per-day", "-1")
	if err != nil {
		return err
	}
	defer sm.stop()
	b.smsURL = "http://" + smsAddr
	if err := waitHTTP(ctx, sm, b.smsURL+"/mock/stats", 200); err != nil {
		return err
	}
	apiAddr, _ := freeAddr()
	metricsAddr, _ := freeAddr() // as in production, but clear of another miniauth's default
	redisURL := "redis://" + o.redisAddr + "/" + strconv.Itoa(o.redisDB)
	env := []string{
		"MINIAUTH_ADDR=" + apiAddr, "MINIAUTH_METRICS_ADDR=" + metricsAddr,
		"MINIAUTH_MYSQL_DSN=" + dsn, "MINIAUTH_REDIS_URL=" + redisURL,
		"MINIAUTH_REDIS_PREFIX=" + o.prefix, "MINIAUTH_MASTER_KEY=" + masterKey,
		"MINIAUTH_WECHAT_BASE_URL=" + b.wxURL, "MINIAUTH_AUTO_MIGRATE=false",
		// The SMS run (sms.go): the simulator, and each operation's own
		// client address through the local "proxy".
		"MINIAUTH_SMS_TENCENT_ENDPOINT=" + b.smsURL, "MINIAUTH_TRUSTED_PROXIES=127.0.0.1",
	}
	if o.profiles != "" {
		b.pprofAddr, _ = freeAddr()
		env = append(env, "MINIAUTH_PPROF_ADDR="+b.pprofAddr)
	}
	env = append(env, o.serverEnv...) // --server-env: miniauth's alone, never the floor's
	b.server, err = start("miniauth", logDir, env, o.bin+"/miniauth", "serve")
	if err != nil {
		return err
	}
	defer b.server.stop()
	b.apiURL = "http://" + apiAddr
	if err := waitHTTP(ctx, b.server, b.apiURL+"/readyz", 200); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	floorAddr, _ := freeAddr()
	fl, err := start("floor", logDir, []string{"MABENCH_APPS=" + appsEnv}, self, "floor",
		"--addr", floorAddr, "--mysql", dsn, "--redis", redisURL, "--wx", b.wxURL, "--sms", b.smsURL, "--prefix", o.prefix+"-floor")
	if err != nil {
		return err
	}
	defer fl.stop()
	b.floor, b.wx = fl, wx
	b.redisPID, b.mysqlPID = b.servicePIDs(ctx)
	b.floorURL = "http://" + floorAddr
	if err := waitHTTP(ctx, fl, b.floorURL+"/t/x/me", 401); err != nil {
		return err
	}

	if err := b.runAll(ctx); err != nil {
		return err
	}
	return nil
}

func (b *bench) runAll(ctx context.Context) error {
	o := b.o
	started := time.Now()
	// One tenant first: the single-tenant runs.
	t0 := time.Now()
	ts, err := seedTenants(ctx, b.db, b.reg, 1, 2, o.tokensOnLogin)
	if err != nil {
		return err
	}
	one := ts[:1]

	// One live session: memory of one session and the idle server.
	code, err := issueCodes(ctx, b.wxURL, []loginUser{{one[0].slug, one[0].appid, "first"}})
	if err != nil {
		return err
	}
	if r := attack("first login", loginTargets(b.apiURL, code), 1, 0, 5*time.Second); r.Errors != 0 || r.Requests != 1 {
		return fmt.Errorf("first login failed: %s", r.StatusCodes)
	}
	mem := memory{rssIdle: b.server.rssMiB()}
	if err := b.sessionBytes(ctx, one[0].id, &mem); err != nil {
		return err
	}
	if b.introspect, err = b.probeIntrospect(ctx, one); err != nil {
		return err
	}

	users, err := seedUsers(ctx, b.db, one, 0, o.baseUsers)
	if err != nil {
		return err
	}
	toks, err := seedSessions(ctx, b.sessions, users, 1, 1)
	if err != nil {
		return err
	}
	if err := seedFloor(ctx, b.rdb, o.prefix+"-floor", toks); err != nil {
		return err
	}
	b.logf("single tenant: %d users with a session each, seeded in %s", len(users), since(t0))

	// Warm both servers (connections, caches) outside the measurement,
	// long enough for every session to be used once.
	attack("warm-up", meTargets(b.apiURL, toks), o.concurrency, 0, 2*time.Second)
	attack("warm-up", meTargets(b.floorURL, toks), o.concurrency, 0, 2*time.Second)

	if b.wants("me") {
		b.pair("me", "/me", meTargets(b.apiURL, toks), meTargets(b.floorURL, toks))
	}
	if b.introspect && b.wants("introspect") {
		b.pair("introspect", "/introspect", introspectTargets(b.apiURL, toks, b.apiKeys),
			introspectTargets(b.floorURL, toks, b.apiKeys))
	}
	if b.wants("login") {
		if err := b.loginPair(ctx, "login", one, o.baseUsers); err != nil {
			return err
		}
	}
	if b.wants("sms login") {
		if err := b.seedSMS(ctx, one[0]); err != nil {
			return err
		}
		b.smsPair("sms login", one[0])
	}
	mem.rssBase = b.server.rssMiB()
	if !b.wants("me @ scale") && !b.wants("me @ scale, cold") && !b.wants("login @ scale") {
		b.report(mem, time.Since(started))
		return nil
	}

	// Scale: the other tenants, users and sessions, then the same runs.
	t0 = time.Now()
	rest, err := seedTenants(ctx, b.db, b.reg, 2, o.tenants+1, o.tokensOnLogin)
	if err != nil {
		return err
	}
	all := append(one, rest...)
	perTenant := o.users / o.tenants
	// Tenant 1 already has baseUsers users; the others get perTenant each.
	more, err := seedUsers(ctx, b.db, rest, 0, perTenant)
	if err != nil {
		return err
	}
	b.logf("scale: %d tenants and %d more users seeded in %s", len(rest), len(more), since(t0))
	if err := b.rdb.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
		b.logf("MEMORY PURGE: %v", err)
	}
	before, err := usedMemory(ctx, b.rdb)
	if err != nil {
		return err
	}
	t0 = time.Now()
	liveBefore := b.rdb.DBSize(ctx).Val()
	perUser := max(1, (o.sessions-o.baseUsers-1+len(more)-1)/len(more)) // at least o.sessions in all
	keep := max(1, perUser*len(more)/100_000)
	scaleToks, err := seedSessions(ctx, b.sessions, more, perUser, keep)
	if err != nil {
		return err
	}
	liveAfter := b.rdb.DBSize(ctx).Val()
	after, err := usedMemory(ctx, b.rdb)
	if err != nil {
		return err
	}
	mem.sessionsAdded = perUser * len(more)
	mem.liveSessions = o.baseUsers + 1 + mem.sessionsAdded
	mem.perSessionScale = float64(after-before) / float64(mem.sessionsAdded)
	mem.perUserSessions = perUser
	b.logf("scale: %d sessions (%d per user) seeded in %s (%.0f/s); Redis keys %d → %d", mem.sessionsAdded, perUser,
		since(t0), float64(mem.sessionsAdded)/time.Since(t0).Seconds(), liveBefore, liveAfter)
	if err := seedFloor(ctx, b.rdb, o.prefix+"-floor", scaleToks); err != nil {
		return err
	}
	if mem.indexEntryBytes, err = b.indexEntryBytes(ctx); err != nil {
		return err
	}
	mem.userBytes, mem.userRows, err = mysqlBytesPerUser(ctx, b.db)
	if err != nil {
		return err
	}

	// A tenant's first login makes its JWT signing key, once in its life:
	// log one user of each tenant in before the timed runs.
	var first []loginUser
	for _, t := range all {
		first = append(first, loginUser{slug: t.slug, appid: t.appid, user: "warm-up"})
	}
	warm, err := issueCodes(ctx, b.wxURL, first)
	if err != nil {
		return err
	}
	if r := attack("warm-up", loginTargets(b.apiURL, warm), o.concurrency, 0, time.Minute); r.Errors > 0 {
		return fmt.Errorf("warm-up logins: %s", r.StatusCodes)
	}
	// The same working set as the single-tenant run (baseUsers sessions),
	// now picked across every tenant among all the sessions: what changes
	// is only the data around it. Then the cold case: every request a user
	// this node has never seen (its user cache cannot help).
	hot, cold := spread(scaleToks, o.baseUsers)
	attack("warm-up", meTargets(b.apiURL, hot), o.concurrency, 0, 2*time.Second)
	attack("warm-up", meTargets(b.floorURL, hot), o.concurrency, 0, 2*time.Second)
	if b.wants("me @ scale") {
		b.pair("me @ scale", "/me", meTargets(b.apiURL, hot), meTargets(b.floorURL, hot))
	}
	if b.wants("me @ scale, cold") {
		b.pair("me @ scale, cold", "/me", meTargets(b.apiURL, cold), meTargets(b.floorURL, cold))
	}
	if b.wants("login @ scale") {
		if err := b.loginPair(ctx, "login @ scale", all, perTenant); err != nil {
			return err
		}
	}
	mem.rssScale = b.server.rssMiB()
	b.heapProfile("scale")
	mem.redisTotal, _ = usedMemory(ctx, b.rdb)

	b.report(mem, time.Since(started))
	return nil
}

// wants tells whether --only lets the run called name go.
func (b *bench) wants(name string) bool {
	if exact, ok := strings.CutPrefix(b.o.only, "="); ok {
		return name == exact
	}
	return b.o.only == "" || strings.Contains(name, b.o.only)
}

// pair measures miniauth and the floor at full speed, then miniauth at
// half its maximum rate for the latency under a normal load (measure).
func (b *bench) pair(name, path string, api, fl vegeta.Targeter) {
	o := b.o
	b.measure(name, "req/s",
		func(round int) result {
			done := func() {}
			if round == 0 {
				done = b.profile(name)
			}
			defer done()
			return b.timed(b.server, func() result { return attack(name, api, o.concurrency, 0, o.duration) })
		},
		func(int) result {
			return b.timed(b.floor, func() result { return attack("floor "+path, fl, o.concurrency, 0, o.duration) })
		},
		func(rate float64) result {
			return b.timed(b.server, func() result { return attack(name+" @ ½", api, o.concurrency, rate, o.duration) })
		},
		func(rate float64) result {
			return b.timed(b.floor, func() result { return attack("floor "+path+" @ ½", fl, o.concurrency, rate, o.duration) })
		})
}

// loginPair is pair for logins: each run gets fresh codes, half for users
// the tenant knows (returning) and half for new ones.
func (b *bench) loginPair(ctx context.Context, name string, ts []benchTenant, known int) error {
	o := b.o
	var failed error
	codesFor := func(n int) []codeOf {
		if failed != nil {
			return nil
		}
		b.runID++
		us := make([]loginUser, n)
		for i := range us {
			t := ts[mrand.IntN(len(ts))]
			user := fmt.Sprintf("new%d-%d", b.runID, i)
			if i%2 == 0 {
				user = userName(mrand.IntN(known))
			}
			us[i] = loginUser{slug: t.slug, appid: t.appid, user: user}
		}
		t0 := time.Now()
		cs, err := issueCodes(ctx, b.wxURL, us)
		b.logf("%d codes issued by the simulator in %s", n, since(t0))
		if err != nil {
			failed = err
		}
		return cs
	}
	// Enough codes for the maximum rate seen so far on this machine; a run
	// that spends them all ends early, which the rate accounts for.
	n := int(o.duration.Seconds() * 3000)
	halfCodes := func(rate float64) []codeOf { return codesFor(int(rate*o.duration.Seconds()*1.05) + 10) }
	b.measure(name, "req/s",
		func(round int) result {
			cs := codesFor(n)
			done := func() {}
			if round == 0 {
				done = b.profile(name)
			}
			defer done()
			return b.timed(b.server, func() result { return attack(name, loginTargets(b.apiURL, cs), o.concurrency, 0, o.duration) })
		},
		func(int) result {
			cs := codesFor(n)
			return b.timed(b.floor, func() result {
				return attack("floor /login", loginTargets(b.floorURL, cs), o.concurrency, 0, o.duration)
			})
		},
		func(rate float64) result {
			cs := halfCodes(rate)
			return b.timed(b.server, func() result {
				return attack(name+" @ ½", loginTargets(b.apiURL, cs), o.concurrency, rate, o.duration)
			})
		},
		func(rate float64) result {
			cs := halfCodes(rate)
			return b.timed(b.floor, func() result {
				return attack("floor /login @ ½", loginTargets(b.floorURL, cs), o.concurrency, rate, o.duration)
			})
		})
	return failed
}

// servicePIDs finds the Redis and MariaDB this run talks to (there may
// be others on the machine), for CPU accounting only.
func (b *bench) servicePIDs(ctx context.Context) (redisPID, mysqlPID int) {
	if info, err := b.rdb.Info(ctx, "server").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
				redisPID, _ = strconv.Atoi(v)
			}
		}
	}
	var pidFile string
	if err := b.db.GetContext(ctx, &pidFile, `SELECT @@pid_file`); err == nil {
		if raw, err := os.ReadFile(pidFile); err == nil {
			mysqlPID, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
		}
	}
	if mysqlPID == 0 {
		mysqlPID = pidOf("mariadbd")
	}
	return redisPID, mysqlPID
}

// timed runs fn and charges the CPU time each process spent to the run's
// requests: the load generator, the server under test, the simulator,
// Redis and MariaDB, in microseconds per request.
func (b *bench) timed(server *proc, fn func() result) result {
	pids := []int{os.Getpid(), server.cmd.Process.Pid, b.wx.cmd.Process.Pid, b.redisPID, b.mysqlPID}
	before := make([]int64, len(pids))
	for i, p := range pids {
		before[i] = cpuTicks(p)
	}
	r := fn()
	for i, p := range pids {
		if p == 0 || r.Requests == 0 {
			continue
		}
		r.CPU[i] = float64(cpuTicks(p)-before[i]) * 1e4 / float64(r.Requests) // 1 tick = 10 ms
	}
	return r
}

// probeIntrospect tells whether miniauth serves introspection, and if so
// makes an API key for the first tenant.
func (b *bench) probeIntrospect(ctx context.Context, ts []benchTenant) (bool, error) {
	resp, err := http.Post(b.apiURL+"/t/"+ts[0].slug+"/introspect", "application/json", strings.NewReader(`{"token":"x"}`))
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		b.notes = append(b.notes, "POST /t/{tenant}/introspect is not served by this build: not measured.")
		return false, nil
	}
	keys := apikeys.NewStore(b.db)
	for _, t := range ts {
		secret, _, err := keys.Create(ctx, t.id, "mabench", audit.Actor{Type: "system", ID: "mabench"})
		if err != nil {
			return false, err
		}
		b.apiKeys[t.slug] = secret
	}
	return true, nil
}

// memory is what the run measured of memory.
type memory struct {
	rssIdle, rssBase, rssScale float64 // miniauth's RSS, MiB
	recordBytes, indexBytes    int64   // MEMORY USAGE of one session's record and its user's index
	perSessionScale            float64 // used_memory growth per seeded session
	indexEntryBytes            float64 // a seeded user's session index, per entry
	perUserSessions            int
	sessionsAdded              int
	liveSessions               int
	redisTotal                 int64
	userBytes                  float64 // MySQL data+index bytes per user (users + identities)
	userRows                   int64
}

// sessionBytes reads MEMORY USAGE of the one live session's keys.
func (b *bench) sessionBytes(ctx context.Context, tenantID int64, m *memory) error {
	pat := b.o.prefix + ":t:" + strconv.FormatInt(tenantID, 10) + ":"
	var rec, idx string
	iter := b.rdb.Scan(ctx, 0, pat+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		switch rest := strings.TrimPrefix(k, pat); {
		case strings.HasPrefix(rest, "S:") || strings.HasPrefix(rest, "s:"): // v3 (raw id), legacy
			rec = k
		case strings.HasPrefix(rest, "u:") && strings.HasSuffix(rest, ":s"):
			idx = k
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if rec == "" || idx == "" {
		return fmt.Errorf("the first login's session keys are not under %s*", pat)
	}
	var err error
	if m.recordBytes, err = b.rdb.MemoryUsage(ctx, rec, 0).Result(); err != nil {
		return err
	}
	m.indexBytes, err = b.rdb.MemoryUsage(ctx, idx, 0).Result()
	return err
}

// indexEntryBytes is MEMORY USAGE per entry of a sample of the seeded
// users' session indexes (sessions with a real WeChat user agent).
func (b *bench) indexEntryBytes(ctx context.Context) (float64, error) {
	var bytes, entries int64
	iter := b.rdb.Scan(ctx, 0, b.o.prefix+":t:*:u:*:s", 1000).Iterator()
	for n := 0; n < 200 && iter.Next(ctx); n++ {
		k := iter.Val()
		u, err := b.rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			return 0, err
		}
		bytes += u
		entries += b.rdb.HLen(ctx, k).Val()
	}
	if err := iter.Err(); err != nil {
		return 0, err
	}
	return float64(bytes) / float64(max(entries, 1)), nil
}

func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no used_memory in INFO memory")
}

// mysqlBytesPerUser is InnoDB's data and index size of users and
// identities, per user, after fresh statistics.
func mysqlBytesPerUser(ctx context.Context, db *sqlx.DB) (float64, int64, error) {
	if _, err := db.ExecContext(ctx, `ANALYZE TABLE users, identities`); err != nil {
		return 0, 0, err
	}
	var bytes int64
	if err := db.GetContext(ctx, &bytes, `SELECT COALESCE(SUM(data_length + index_length), 0)
		FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('users', 'identities')`); err != nil {
		return 0, 0, err
	}
	var n int64
	if err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, 0, err
	}
	return float64(bytes) / float64(max(n, 1)), n, nil
}

// report prints the Markdown tables.
func (b *bench) report(m memory, took time.Duration) {
	var sb strings.Builder
	o := b.o
	fmt.Fprintf(&sb, "### mabench run, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&sb, "Machine: %d CPU cores (GOMAXPROCS %d), %s/%s, %s. Concurrency %d, %s per run; the load generator, miniauth, the floor, the simulator, MariaDB and Redis share these cores. Whole run: %s.\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), o.concurrency, o.duration, took.Round(time.Second))
	if len(o.serverEnv) > 0 {
		fmt.Fprintf(&sb, "miniauth ran with `%s` (--server-env).\n\n", strings.Join(o.serverEnv, " "))
	}
	if o.tokensOnLogin {
		sb.WriteString("Tenants: budgets lifted, and an access token (ES256) in every login's answer (--tokens-on-login).\n\n")
	} else {
		sb.WriteString("Tenants: a new tenant's settings with the budgets lifted: no access token in a login's answer (--tokens-on-login adds one).\n\n")
	}
	fmt.Fprintf(&sb, "Each path: %d rounds of miniauth then the floor at full speed; the round with the median ratio is shown, with every round's ratio. Then miniauth at half the median maximum, %d times, the run with the median p99 shown, and the floor once at that same rate. The cold run has one round of each: its never-seen users run out in one.\n\n", max(1, o.rounds), max(1, o.rounds))
	sb.WriteString("| run | offered | ok/s | p50 | p99 | p99.9 | errors | vs floor (rounds) | CPU µs/req: load · server · wxmock · Redis · MariaDB |\n|---|---|---|---|---|---|---|---|---|\n")
	row := func(r result, ratio string) {
		offered := "max"
		if r.Rate > 0 {
			offered = fmt.Sprintf("%.0f/s", r.Rate)
		}
		fmt.Fprintf(&sb, "| %s | %s | %.0f | %s | %s | %s | %d | %s | %.0f · %.0f · %.0f · %.0f · %.0f |\n", r.Name, offered, r.Throughput,
			ms(r.P50), ms(r.P99), ms(r.P999), r.Errors, ratio, r.CPU[0], r.CPU[1], r.CPU[2], r.CPU[3], r.CPU[4])
	}
	meBase, meScale, fb, fs := 0.0, 0.0, 0.0, 0.0
	for _, m := range b.measured {
		top := m.rounds[m.pick]
		row(top[0], fmt.Sprintf("**%.2f** (%s)", m.Ratio(), m.ratios()))
		row(top[1], "")
		row(m.half[m.halfPick], "")
		row(m.floorHalf, "")
		switch m.name {
		case "me":
			meBase, fb = top[0].Throughput, top[1].Throughput
		case "me @ scale":
			meScale, fs = top[0].Throughput, top[1].Throughput
		}
	}
	sb.WriteString("\n| memory | value |\n|---|---|\n")
	fmt.Fprintf(&sb, "| Redis, one session's record (MEMORY USAGE) | %d B |\n", m.recordBytes)
	fmt.Fprintf(&sb, "| Redis, its user's session index with one entry (MEMORY USAGE) | %d B |\n", m.indexBytes)
	fmt.Fprintf(&sb, "| Redis, one session all told (record + index) | %d B |\n", m.recordBytes+m.indexBytes)
	if m.sessionsAdded > 0 { // the scale runs were made (not left out by --only)
		fmt.Fprintf(&sb, "| Redis, a seeded user's session index (%d entries, WeChat user agent), per entry | %.0f B |\n",
			m.perUserSessions, m.indexEntryBytes)
		fmt.Fprintf(&sb, "| Redis used_memory growth per session, %d sessions seeded (%d per user, index included) | %.0f B |\n",
			m.sessionsAdded, m.perUserSessions, m.perSessionScale)
		fmt.Fprintf(&sb, "| Redis used_memory with %d live sessions | %.0f MiB |\n", m.liveSessions, float64(m.redisTotal)/(1<<20))
		fmt.Fprintf(&sb, "| MySQL users + identities, data and indexes, per user (%d users) | %.0f B |\n", m.userRows, m.userBytes)
	}
	fmt.Fprintf(&sb, "| miniauth RSS, 1 live session, idle | %.1f MiB |\n", m.rssIdle)
	fmt.Fprintf(&sb, "| miniauth RSS after the single-tenant runs | %.1f MiB |\n", m.rssBase)
	if m.sessionsAdded > 0 {
		fmt.Fprintf(&sb, "| miniauth RSS, %d live sessions, after the scale runs | %.1f MiB |\n", m.liveSessions, m.rssScale)
	}
	if meBase > 0 && meScale > 0 {
		fmt.Fprintf(&sb, "| /me throughput at scale vs one tenant | %+.1f%% |\n", 100*(meScale/meBase-1))
		if fb > 0 && fs > 0 {
			fmt.Fprintf(&sb, "| /me ratio to its floor at scale vs one tenant (cancels the machine's drift) | %+.1f%% |\n",
				100*((meScale/fs)/(meBase/fb)-1))
		}
	}
	for _, n := range b.notes {
		fmt.Fprintf(&sb, "\n%s\n", n)
	}
	fmt.Println(sb.String())
	if o.report != "" {
		if err := os.WriteFile(o.report, []byte(sb.String()), 0o644); err != nil {
			b.logf("write report: %v", err)
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// spread picks n tokens evenly across toks (which cover every tenant) and
// returns them, and the others.
func spread(toks []tokenOf, n int) (picked, rest []tokenOf) {
	if n >= len(toks) {
		return toks, nil
	}
	step := float64(len(toks)) / float64(n)
	next := 0.0
	for i, t := range toks {
		if float64(i) >= next && len(picked) < n {
			picked = append(picked, t)
			next += step
		} else {
			rest = append(rest, t)
		}
	}
	return picked, rest
}

// heapProfile writes miniauth's heap profile (what is live now, and
// where it was allocated) as name-heap.pprof, when --profiles asks.
func (b *bench) heapProfile(name string) {
	if b.o.profiles == "" {
		return
	}
	resp, err := http.Get("http://" + b.pprofAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		b.logf("heap profile: %v", err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(filepath.Join(b.o.profiles, name+"-heap.pprof"), body, 0o644)
	}
	if err != nil {
		b.logf("heap profile: %v", err)
	}
}

// profile starts fetching a CPU profile of miniauth for the run called
// name, when --profiles asks for them; the returned func waits for it.
func (b *bench) profile(name string) (wait func()) {
	if b.o.profiles == "" {
		return func() {}
	}
	secs := max(1, int(b.o.duration.Seconds())-1)
	file := filepath.Join(b.o.profiles, strings.NewReplacer(" ", "-", "@", "at", ",", "").Replace(name)+".pprof")
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get("http://" + b.pprofAddr + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs))
		if err != nil {
			b.logf("profile %s: %v", name, err)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			err = os.WriteFile(file, body, 0o644)
		}
		if err != nil {
			b.logf("profile %s: %v", name, err)
		}
	}()
	return func() { <-done }
}
