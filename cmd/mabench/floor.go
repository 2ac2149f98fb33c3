package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the database/sql driver
	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

// The floor is the least any server must do for each path, written as
// plainly as Fiber allows: what miniauth's results are divided by. It runs
// as its own process, like miniauth, with the same pool sizes.
//
//	GET  /t/:tenant/me          hash the bearer token, one Redis GET, write the JSON
//	POST /t/:tenant/introspect  read {"token"}, hash it, one Redis GET, write the JSON
//	POST /t/:tenant/login       one code2session call, one MySQL upsert, one Redis SET
//	POST /t/:tenant/sms/send    a code hashed into Redis, the provider's signed SendSms (sms.go)
//	POST /t/:tenant/login/sms   one Redis GETDEL, one MySQL upsert, one Redis SET
type floor struct {
	rdb    *redis.Client
	db     *sqlx.DB
	http   *http.Client
	wx     string            // simulator base URL
	apps   map[string]string // appid → secret
	prefix string
}

// floorSessionKey is where the floor keeps the record of a token.
func floorSessionKey(prefix, token string) string {
	sum := sha256.Sum256([]byte(token))
	return prefix + ":s:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func runFloor(args []string) error {
	fs := flag.NewFlagSet("mabench floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	mysqlDSN := fs.String("mysql", "", "MySQL DSN of the bench database")
	redisURL := fs.String("redis", "", "Redis URL")
	wx := fs.String("wx", "", "simulator base URL")
	smsURL := fs.String("sms", "", "SMS simulator base URL (the SMS login run, sms.go)")
	prefix := fs.String("prefix", "mabench-floor", "Redis key prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := &floor{wx: *wx, prefix: *prefix, apps: map[string]string{}}
	for _, s := range strings.Split(os.Getenv("MABENCH_APPS"), ",") {
		if id, secret, ok := strings.Cut(s, ":"); ok {
			f.apps[id] = secret
		}
	}
	opt, err := redis.ParseURL(*redisURL)
	if err != nil {
		return err
	}
	opt.PoolSize = 64 // as miniauth's
	f.rdb = redis.NewClient(opt)
	if f.db, err = sqlx.Open("mysql", *mysqlDSN); err != nil {
		return err
	}
	f.db.SetMaxOpenConns(64)
	f.db.SetMaxIdleConns(64)
	f.db.SetConnMaxIdleTime(time.Minute) // as miniauth's
	f.http = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/t/:tenant/me", f.me)
	app.Post("/t/:tenant/introspect", f.introspect)
	app.Post("/t/:tenant/login", f.login)
	if err := f.routeSMS(app, *smsURL); err != nil {
		return err
	}
	return app.Listen(*addr)
}

func (f *floor) me(c *fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return f.lookup(c, token)
}

func (f *floor) introspect(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return c.SendStatus(fiber.StatusBadRequest)
	}
	return f.lookup(c, req.Token)
}

func (f *floor) lookup(c *fiber.Ctx, token string) error {
	v, err := f.rdb.Get(c.UserContext(), floorSessionKey(f.prefix, token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	if err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(v)
}

func (f *floor) login(c *fiber.Ctx) error {
	var req struct {
		Code  string `json:"code"`
		AppID string `json:"appid"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil || req.Code == "" {
		return c.SendStatus(fiber.StatusBadRequest)
	}
	ctx := c.UserContext()
	q := url.Values{"appid": {req.AppID}, "secret": {f.apps[req.AppID]}, "js_code": {req.Code},
		"grant_type": {"authorization_code"}}
	hreq, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.wx+"/sns/jscode2session?"+q.Encode(), nil)
	resp, err := f.http.Do(hreq)
	if err != nil {
		return c.SendStatus(fiber.StatusBadGateway)
	}
	var ws struct {
		OpenID     string `json:"openid"`
		SessionKey string `json:"session_key"`
		ErrCode    int    `json:"errcode"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ws)
	resp.Body.Close()
	if err != nil || ws.ErrCode != 0 || ws.OpenID == "" {
		return c.SendStatus(fiber.StatusBadGateway)
	}
	if _, err := f.db.ExecContext(ctx, `INSERT INTO floor_logins (openid, last_login_at) VALUES (?, NOW(3))
		ON DUPLICATE KEY UPDATE last_login_at = NOW(3)`, ws.OpenID); err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	token := "mas_" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := f.rdb.Set(ctx, floorSessionKey(f.prefix, token), ws.OpenID, 7*24*time.Hour).Err(); err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	return c.JSON(fiber.Map{"session": token, "token_type": "Bearer"})
}

// floorTable is the one table the floor's login writes.
const floorTable = `CREATE TABLE IF NOT EXISTS floor_logins (
	openid VARCHAR(64) NOT NULL PRIMARY KEY,
	last_login_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`

// seedFloor gives the floor a record for each token, shaped like /me's
// answer, so that both serve the same bytes from the same sessions.
func seedFloor(ctx context.Context, rdb *redis.Client, prefix string, tokens []tokenOf) error {
	const batch = 1000
	body := fmt.Sprintf(`{"user":{"id":"u_floor0000000000000000000","nickname":"","avatar_url":"","phone_bound":false,"created_at":%q}}`,
		time.Now().UTC().Format(time.RFC3339Nano))
	for i := 0; i < len(tokens); i += batch {
		pipe := rdb.Pipeline()
		for _, tok := range tokens[i:min(i+batch, len(tokens))] {
			pipe.Set(ctx, floorSessionKey(prefix, tok.token), body, time.Hour)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("seed floor: %w", err)
		}
	}
	return nil
}
