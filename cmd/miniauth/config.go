package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Config is miniauth's whole configuration, read once from the environment
// (the README's configuration table) and validated at boot.
type Config struct {
	Addr           string
	MySQLDSN       string
	RedisURL       string
	RedisMaster    string // with Sentinel: the master's name; RedisURL lists the sentinels
	RedisPrefix    string
	MasterKey      string   `print:"secret"`
	OldMasterKeys  []string `print:"secret"`
	WeChatBaseURL  string
	WeChatAuthURL  string // where browsers authorize web OAuth
	PublicURL      string
	AutoMigrate    bool
	TrustedProxies []netip.Prefix // may append to X-Forwarded-For (addresses or CIDR ranges)
	DrainDelay     time.Duration
	BreakerOpenFor time.Duration // how long an open WeChat breaker fails fast
	// ForceRefreshes is how many forced access-token refreshes per app and
	// day all nodes together may make (WeChat allows 20).
	ForceRefreshes int
	BreakerTrips   int           // consecutive WeChat failures that open it
	UserCacheTTL   time.Duration // how long a node may keep a user in memory (changes are announced at once)
	PasswordChecks int           // console password checks (bcrypt) running at once on this node; 0: 2×GOMAXPROCS
	PprofAddr      string        // where Go's profiler listens; empty: off
	MetricsAddr    string        // where Prometheus scrapes /metrics; empty: off
	LogLevel       string
	Backends       BackendsConfig // API keys, access tokens, webhooks (backends.go)
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func loadConfig() (Config, error) {
	c := Config{
		Addr:          env("MINIAUTH_ADDR", ":8080"),
		MySQLDSN:      env("MINIAUTH_MYSQL_DSN", "root:@tcp(127.0.0.1:3306)/miniauth?parseTime=true&charset=utf8mb4"),
		RedisURL:      env("MINIAUTH_REDIS_URL", "redis://127.0.0.1:6379/0"),
		RedisMaster:   os.Getenv("MINIAUTH_REDIS_SENTINEL_MASTER"),
		RedisPrefix:   env("MINIAUTH_REDIS_PREFIX", "ma"),
		MasterKey:     os.Getenv("MINIAUTH_MASTER_KEY"),
		OldMasterKeys: list(os.Getenv("MINIAUTH_OLD_MASTER_KEYS")),
		WeChatBaseURL: env("MINIAUTH_WECHAT_BASE_URL", "https://api.weixin.qq.com"),
		WeChatAuthURL: env("MINIAUTH_WECHAT_AUTH_URL", "https://open.weixin.qq.com"),
		PublicURL:     env("MINIAUTH_PUBLIC_URL", "http://localhost:8080"),
		LogLevel:      env("MINIAUTH_LOG_LEVEL", "info"),
		PprofAddr:     os.Getenv("MINIAUTH_PPROF_ADDR"),
	}
	var errs []error
	var err error
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
	if c.PasswordChecks, err = strconv.Atoi(env("MINIAUTH_ADMIN_PASSWORD_CHECKS", "0")); err != nil || c.PasswordChecks < 0 {
		errs = append(errs, errors.New("MINIAUTH_ADMIN_PASSWORD_CHECKS must be a number, 0 for twice the CPUs"))
	}
	if c.DrainDelay, err = time.ParseDuration(env("MINIAUTH_DRAIN_DELAY", "0s")); err != nil {
		errs = append(errs, errors.New("MINIAUTH_DRAIN_DELAY must be a duration such as 5s"))
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

// String prints the configuration with secrets masked, for the boot log.
func (c Config) String() string {
	dsn := c.MySQLDSN
	if cfg, err := mysql.ParseDSN(dsn); err == nil && cfg.Passwd != "" {
		cfg.Passwd = "***"
		dsn = cfg.FormatDSN()
	}
	metrics := c.MetricsAddr
	if metrics == "" {
		metrics = "off"
	}
	return fmt.Sprintf("addr=%s metrics_addr=%s mysql=%s redis=%s prefix=%s master_key=%s wechat=%s public_url=%s auto_migrate=%t",
		c.Addr, metrics, dsn, maskURL(c.RedisURL), c.RedisPrefix, mask(c.MasterKey), c.WeChatBaseURL, c.PublicURL, c.AutoMigrate)
}

func mask(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set)"
}

// maskURL hides a password in redis://user:pass@host URLs.
func maskURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	return u[:scheme+3] + "***" + u[at:]
}
