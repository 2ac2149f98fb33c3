package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"miniauth/api"
	"miniauth/tenants/keyring"
	"miniauth/tenants/sms"
	"miniauth/tenants/webhooks"
	"miniauth/tenants/wechat"
	"miniauth/tenants/wechat/guard"
)

// Config is miniauth's whole configuration, read once from the environment
// (the README's configuration table) and validated at boot. String prints
// every field but those tagged print:"-" (derived from others); a field
// tagged secret is masked:
// secret:"true" shows only whether it is set, secret:"dsn" and secret:"url"
// hide the password inside.
type Config struct {
	Addr        string
	MySQLDSN    string `secret:"dsn"`
	RedisURL    string `secret:"url"`
	RedisMaster string // with Sentinel: the master's name; RedisURL lists the sentinels
	// Redis is how to reach Redis (one server, a cluster, or a
	// Sentinel-managed master), from RedisURL and RedisMaster.
	Redis         *redis.UniversalOptions `print:"-"`
	RedisPrefix   string
	MasterKey     string   `secret:"true"`
	OldMasterKeys []string `secret:"true"`
	// Keys seal and open secrets at rest, from MasterKey and OldMasterKeys;
	// nil only for the commands that seal nothing (sealingCommands) when no
	// key is set.
	Keys          *keyring.Ring `print:"-"`
	WeChatBaseURL string
	WeChatAuthURL string // where browsers authorize web OAuth
	// Where the SMS providers are (docs/sms.md): a host (https) or
	// http(s)://host[:port]; the simulator is one.
	SMSTencentEndpoint string
	SMSAliyunEndpoint  string
	PublicURL          string
	AutoMigrate        bool
	TrustedProxies     []netip.Prefix // may append to X-Forwarded-For (addresses or CIDR ranges)
	DrainDelay         time.Duration
	BreakerOpenFor     time.Duration // how long an open WeChat breaker fails fast
	// ForceRefreshes is how many forced access-token refreshes per app and
	// day all nodes together may make (WeChat allows 20).
	ForceRefreshes int
	BreakerTrips   int           // consecutive WeChat failures that open it
	UserCacheTTL   time.Duration // how long a node may keep a user in memory (changes are announced at once)
	UserCacheMax   int           // users a node keeps in memory at most
	PasswordChecks int           // console password checks (bcrypt) running at once on this node; 0: 2×GOMAXPROCS
	PprofAddr      string        // where Go's profiler listens; empty: off
	MetricsAddr    string        // where Prometheus scrapes /metrics; empty: off
	LogLevel       string
	Backends       BackendsConfig // API keys, access tokens, webhooks (backends.go)

	// UsageRollupEvery is how often the charts' counters are copied from
	// Redis into MySQL (tenants/stats).
	UsageRollupEvery time.Duration
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// settings are what the API is assembled with (api.Assemble).
func (c Config) settings() api.Settings {
	return api.Settings{
		WeChat:             wechat.Config{BaseURL: c.WeChatBaseURL},
		WeChatAuthorizeURL: c.WeChatAuthURL,
		PublicURL:          c.PublicURL,
		TrustedProxies:     c.TrustedProxies,
		CacheTTL:           c.UserCacheTTL,
		UserCacheMax:       c.UserCacheMax,
		PasswordChecks:     c.PasswordChecks,
		Breaker:            guard.Config{Failures: uint32(c.BreakerTrips), OpenFor: c.BreakerOpenFor},
		ForceRefreshes:     c.ForceRefreshes,
		SigningKeys:        c.Backends.keyPolicy(),
		Webhooks:           webhooks.Config{AllowPrivate: c.Backends.WebhooksAllowPrivate},
		SMS:                sms.Endpoints{Tencent: c.SMSTencentEndpoint, Aliyun: c.SMSAliyunEndpoint},
	}
}

// secretEnv reads a secret variable from name, or from the file that
// name+"_FILE" names (Docker and Kubernetes secrets), trimmed of the
// surrounding white space; def when neither is set.
func secretEnv(name, def string) (string, error) {
	v, file := os.Getenv(name), os.Getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	case v != "":
		return v, nil
	}
	return def, nil
}

// sealingCommands are the commands that seal or open secrets: they need
// the master key.
var sealingCommands = map[string]bool{"serve": true, "tenant": true, "users": true, "apikey": true, "signing-key": true}

// loadConfig reads and checks the configuration for cmd (the command
// being run): every check is here, none left to the commands.
func loadConfig(cmd string) (Config, error) {
	c := Config{
		Addr:               env("MINIAUTH_ADDR", ":8080"),
		RedisMaster:        os.Getenv("MINIAUTH_REDIS_SENTINEL_MASTER"),
		RedisPrefix:        env("MINIAUTH_REDIS_PREFIX", "ma"),
		WeChatBaseURL:      env("MINIAUTH_WECHAT_BASE_URL", "https://api.weixin.qq.com"),
		WeChatAuthURL:      env("MINIAUTH_WECHAT_AUTH_URL", "https://open.weixin.qq.com"),
		SMSTencentEndpoint: env("MINIAUTH_SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com"),
		SMSAliyunEndpoint:  env("MINIAUTH_SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com"),
		PublicURL:          env("MINIAUTH_PUBLIC_URL", "http://localhost:8080"),
		LogLevel:           env("MINIAUTH_LOG_LEVEL", "info"),
		PprofAddr:          os.Getenv("MINIAUTH_PPROF_ADDR"),
	}
	var errs []error
	var err error
	var oldKeys string
	for _, v := range []struct {
		name, def string
		to        *string
	}{
		{"MINIAUTH_MYSQL_DSN", "root:@tcp(127.0.0.1:3306)/miniauth?parseTime=true&charset=utf8mb4", &c.MySQLDSN},
		{"MINIAUTH_REDIS_URL", "redis://127.0.0.1:6379/0", &c.RedisURL},
		{"MINIAUTH_MASTER_KEY", "", &c.MasterKey},
		{"MINIAUTH_OLD_MASTER_KEYS", "", &oldKeys},
	} {
		if *v.to, err = secretEnv(v.name, v.def); err != nil {
			errs = append(errs, err)
		}
	}
	c.OldMasterKeys = list(oldKeys)
	switch {
	case c.MasterKey != "":
		if c.Keys, err = keyring.New(c.MasterKey, c.OldMasterKeys...); err != nil {
			errs = append(errs, fmt.Errorf("MINIAUTH_MASTER_KEY: %w", err))
		}
	case sealingCommands[cmd]:
		errs = append(errs, errors.New("MINIAUTH_MASTER_KEY is required (32 random bytes, base64)"))
	}
	if c.Redis, err = redisOptions(c.RedisURL, c.RedisMaster); err != nil {
		errs = append(errs, err)
	}
	if c.AutoMigrate, err = strconv.ParseBool(env("MINIAUTH_AUTO_MIGRATE", "false")); err != nil {
		errs = append(errs, errors.New("MINIAUTH_AUTO_MIGRATE must be true or false"))
	}
	if c.BreakerOpenFor, err = time.ParseDuration(env("MINIAUTH_WECHAT_BREAKER_OPEN", "10s")); err != nil || c.BreakerOpenFor <= 0 {
		errs = append(errs, errors.New("MINIAUTH_WECHAT_BREAKER_OPEN must be a positive duration such as 10s"))
	}
	if c.BreakerTrips, err = strconv.Atoi(env("MINIAUTH_WECHAT_BREAKER_FAILURES", "5")); err != nil || c.BreakerTrips < 1 {
		errs = append(errs, errors.New("MINIAUTH_WECHAT_BREAKER_FAILURES must be a positive number"))
	}
	if c.ForceRefreshes, err = strconv.Atoi(env("MINIAUTH_WECHAT_FORCE_REFRESHES", "20")); err != nil || c.ForceRefreshes < 1 || c.ForceRefreshes > 20 {
		errs = append(errs, errors.New("MINIAUTH_WECHAT_FORCE_REFRESHES must be a number from 1 to 20 (WeChat's daily limit)"))
	}
	if c.UserCacheTTL, err = time.ParseDuration(env("MINIAUTH_USER_CACHE_TTL", "2m")); err != nil || c.UserCacheTTL <= 0 {
		errs = append(errs, errors.New("MINIAUTH_USER_CACHE_TTL must be a positive duration such as 2m"))
	}
	if c.UserCacheMax, err = strconv.Atoi(env("MINIAUTH_USER_CACHE_MAX", "50000")); err != nil || c.UserCacheMax < 1 {
		errs = append(errs, errors.New("MINIAUTH_USER_CACHE_MAX must be a positive number"))
	}
	if c.PasswordChecks, err = strconv.Atoi(env("MINIAUTH_ADMIN_PASSWORD_CHECKS", "0")); err != nil || c.PasswordChecks < 0 {
		errs = append(errs, errors.New("MINIAUTH_ADMIN_PASSWORD_CHECKS must be a number, 0 for twice the CPUs"))
	}
	if c.DrainDelay, err = time.ParseDuration(env("MINIAUTH_DRAIN_DELAY", "0s")); err != nil {
		errs = append(errs, errors.New("MINIAUTH_DRAIN_DELAY must be a duration such as 5s"))
	}
	if c.UsageRollupEvery, err = time.ParseDuration(env("MINIAUTH_USAGE_ROLLUP_EVERY", "5m")); err != nil ||
		c.UsageRollupEvery < 10*time.Second || c.UsageRollupEvery > time.Hour {
		errs = append(errs, errors.New("MINIAUTH_USAGE_ROLLUP_EVERY must be a duration from 10s to 1h, such as 5m"))
	}
	if c.MetricsAddr, err = metricsAddr(); err != nil {
		errs = append(errs, err)
	}
	if c.TrustedProxies, err = trustedProxies(list(os.Getenv("MINIAUTH_TRUSTED_PROXIES"))); err != nil {
		errs = append(errs, err)
	}
	if c.Backends, err = loadBackendsConfig(); err != nil {
		errs = append(errs, err)
	}
	if c.MySQLDSN, err = mysqlDSN(c.MySQLDSN); err != nil {
		errs = append(errs, err)
	}
	for name, v := range map[string]string{"MINIAUTH_SMS_TENCENT_ENDPOINT": c.SMSTencentEndpoint, "MINIAUTH_SMS_ALIYUN_ENDPOINT": c.SMSAliyunEndpoint} {
		if err := sms.CheckEndpoint(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return c, errors.Join(errs...)
}

// mysqlDSN adds what miniauth relies on to the DSN: parsed times, utf8mb4,
// and timeouts so that a dead MySQL fails requests fast instead of hanging
// them.
func mysqlDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", errors.New("MINIAUTH_MYSQL_DSN is not a valid DSN")
	}
	cfg.ParseTime = true
	// Send each query with its arguments in one round trip instead of a
	// server-side prepare, execute and close for every query: fewer round
	// trips and much less MariaDB CPU per request (docs/performance.md).
	// Safe with utf8mb4; the driver refuses it for the multibyte charsets
	// where escaping could be fooled.
	cfg.InterpolateParams = true
	// One statement a query on the main pool, whatever the DSN says: a
	// query that went wrong cannot carry a second one. The few writes sent
	// several in one query have a pool of their own (users.BatchesDSN).
	cfg.MultiStatements = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["charset"]; !ok {
		cfg.Params["charset"] = "utf8mb4"
	}
	cfg.Loc = time.UTC
	return cfg.FormatDSN(), nil
}

// DefaultMetricsAddr is where /metrics is served unless configured:
// loopback, as the series name every tenant and AppID.
const DefaultMetricsAddr = "127.0.0.1:9090"

// metricsAddr reads MINIAUTH_METRICS_ADDR: a host:port, or empty or "off"
// for no metrics listener at all.
func metricsAddr() (string, error) {
	addr, ok := os.LookupEnv("MINIAUTH_METRICS_ADDR")
	if !ok {
		return DefaultMetricsAddr, nil
	}
	if addr = strings.TrimSpace(addr); addr == "" || strings.EqualFold(addr, "off") {
		return "", nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", errors.New("MINIAUTH_METRICS_ADDR must be host:port (127.0.0.1:9090), or off")
	}
	return addr, nil
}

// trustedProxies reads MINIAUTH_TRUSTED_PROXIES: IP addresses and CIDR
// ranges. Anything else is refused at boot rather than silently trusting
// nobody (or, worse, somebody).
func trustedProxies(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		if strings.Contains(e, "/") {
			// Client addresses are compared unmapped: an IPv4-mapped
			// range would never match, so write it as IPv4.
			p, err := netip.ParsePrefix(e)
			if err != nil || p.Addr().Is4In6() {
				return nil, fmt.Errorf("MINIAUTH_TRUSTED_PROXIES: %q is not an IP address or CIDR range", e)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("MINIAUTH_TRUSTED_PROXIES: %q is not an IP address or CIDR range", e)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// String prints the configuration with secrets masked, for the boot log:
// every field, by reflection, so that a new one cannot be left out.
func (c Config) String() string {
	var b strings.Builder
	printFields(&b, "", reflect.ValueOf(c))
	return strings.TrimSpace(b.String())
}

func printFields(b *strings.Builder, prefix string, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Tag.Get("print") == "-" {
			continue
		}
		name := prefix + snake(f.Name)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
			printFields(b, name+".", fv)
			continue
		}
		fmt.Fprintf(b, "%s=%s ", name, printValue(fv, f.Tag.Get("secret")))
	}
}

func printValue(v reflect.Value, secret string) string {
	switch secret {
	case "":
	case "dsn":
		cfg, err := mysql.ParseDSN(v.String())
		if err != nil {
			return "(invalid)"
		}
		if cfg.Passwd != "" {
			cfg.Passwd = "***"
		}
		return cfg.FormatDSN()
	case "url":
		return maskURL(v.String())
	default:
		return mask(!v.IsZero())
	}
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// snake turns a field name into the log's key: MySQLDSN → mysql_dsn,
// WeChatBaseURL → wechat_base_url.
func snake(name string) string {
	r := []rune(strings.NewReplacer("MySQL", "Mysql", "WeChat", "Wechat").Replace(name))
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func mask(set bool) string {
	if !set {
		return "(unset)"
	}
	return "(set)"
}

// maskURL hides the passwords in redis://user:pass@host URLs (a list of
// them for a cluster or sentinels).
func maskURL(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		at := strings.LastIndex(p, "@")
		scheme := strings.Index(p, "://")
		if at >= 0 && scheme >= 0 && scheme < at {
			parts[i] = p[:scheme+3] + "***" + p[at:]
		} else if at >= 0 {
			parts[i] = "***" + p[at:]
		}
	}
	return strings.Join(parts, ",")
}

// redisOptions reads MINIAUTH_REDIS_URL: one redis:// URL for one server,
// several separated by commas for a Redis Cluster, or the sentinels' when
// master (MINIAUTH_REDIS_SENTINEL_MASTER) names a Sentinel-managed master.
// redis.NewUniversalClient picks the client from that.
func redisOptions(raw, master string) (*redis.UniversalOptions, error) {
	// Short timeouts: with Redis gone, a request should fail in about a
	// second with 503, not wait on a pool.
	//
	// RESP2: miniauth uses no RESP3 feature (no client-side caching, no
	// push notifications), and under RESP3 the client looks for pending
	// push notifications around every command (docs/performance.md).
	//
	// Small buffers: our commands and replies are a few hundred bytes (the
	// largest, a user's session list, a few KiB), and the client's defaults
	// (32 KiB each way per connection, 128 KiB on its pipeline pool) held
	// about 7 MB of a node's heap; a longer reply only takes another read.
	o := &redis.UniversalOptions{MasterName: master, MaxRetries: 1, PoolSize: 64, Protocol: 2,
		ReadBufferSize: 4 << 10, WriteBufferSize: 4 << 10, PipelineReadBufferSize: 16 << 10, PipelineWriteBufferSize: 16 << 10,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, PoolTimeout: time.Second}
	for i, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		u, err := redis.ParseURL(p)
		if err != nil {
			return nil, fmt.Errorf("MINIAUTH_REDIS_URL: %q is not a redis:// URL", maskURL(p))
		}
		o.Addrs = append(o.Addrs, u.Addr)
		if i == 0 {
			o.Username, o.Password, o.DB, o.TLSConfig = u.Username, u.Password, u.DB, u.TLSConfig
		}
	}
	return o, nil
}
