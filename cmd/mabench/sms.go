package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants/audit"
	"miniauth/tenants/sms"
)

// The SMS login run: one operation is what a phone does to sign in by SMS
// — POST /sms/send, read the code (the simulator's inbox), POST
// /login/sms — each with a number never seen before, from its own client
// address (X-Forwarded-For through a trusted proxy), so that the run
// measures the work and not the budgets against pumping.

// The bench's Tencent SMS account in smsmock.
const (
	smsID  = "AKIDbench000000000000000000000000000"
	smsKey = "bench-smsmock-secret-key-0123456789"
	smsApp = "1400000001"
)

func smsSettings() sms.Settings {
	return sms.Settings{Provider: sms.Tencent, AccessKeyID: smsID, Secret: smsKey, SDKAppID: smsApp,
		SignName: "mabench", TemplateID: "100001",
		Limits: sms.Limits{PhonePerMinute: 1000, PhonePerHour: 1000, PhonePerDay: 1000, AddressPerHour: 1000,
			AddressPerDay: 1000, TenantPerDay: 10_000_000}}
}

// seedSMS gives tenant 1 its SMS settings, bound to the simulator.
func (b *bench) seedSMS(ctx context.Context, t benchTenant) error {
	_, err := sms.NewStore(b.db, b.keys).Put(ctx, t.id, smsSettings(), audit.CLI)
	return err
}

// smsOps numbers the operations of every run: each gets its own phone
// and address.
var smsOps atomic.Uint64

var smsClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
	MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}

// smsOp signs one new phone in by SMS against base; the simulator at
// smsURL delivers the code.
func smsOp(ctx context.Context, base, slug, smsURL string) error {
	n := smsOps.Add(1)
	phone := fmt.Sprintf("+86139%08d", n%100_000_000)
	addr := fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
	post := func(path, body string) (int, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/t/"+slug+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", addr)
		res, err := smsClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		return res.StatusCode, raw, err
	}
	if st, raw, err := post("/sms/send", `{"phone":"`+phone+`","purpose":"login"}`); err != nil || st != http.StatusAccepted {
		return fmt.Errorf("send: %d %s %v", st, raw, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, smsURL+"/mock/sms?phone="+url.QueryEscape(phone), nil)
	res, err := smsClient.Do(req)
	if err != nil {
		return err
	}
	var box struct {
		Messages []struct {
			Code string `json:"code"`
		} `json:"messages"`
	}
	err = json.NewDecoder(res.Body).Decode(&box)
	res.Body.Close()
	if err != nil || len(box.Messages) == 0 || box.Messages[0].Code == "" {
		return fmt.Errorf("inbox: no code (%v)", err)
	}
	if st, raw, err := post("/login/sms", `{"phone":"`+phone+`","code":"`+box.Messages[0].Code+`"}`); err != nil || st != http.StatusOK {
		return fmt.Errorf("login: %d %s %v", st, raw, err)
	}
	return nil
}

// smsAttack runs smsOp with c workers for d, as fast as they go (rate 0)
// or at rate operations a second.
func smsAttack(name, base, slug, smsURL string, c int, rate float64, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ticks <-chan time.Time
	if rate > 0 {
		tk := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tk.Stop()
		ticks = tk.C
	}
	var mu sync.Mutex
	var lat []time.Duration
	var ok, failed int
	errs := map[string]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if ticks != nil {
					select {
					case <-ticks:
					case <-ctx.Done():
						return
					}
				}
				t0 := time.Now()
				err := smsOp(context.Background(), base, slug, smsURL)
				took := time.Since(t0)
				mu.Lock()
				lat = append(lat, took)
				if err != nil {
					failed++
					errs[errKind(err)]++
				} else {
					ok++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	smsClient.CloseIdleConnections() // as attack does: no idle connection outlives its run
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)]
	}
	r := result{Name: name, Rate: rate, Requests: uint64(ok + failed), Throughput: float64(ok) / secs,
		P50: q(0.5), P99: q(0.99), P999: q(0.999), Errors: failed}
	var codes []string
	for k, n := range errs {
		codes = append(codes, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(codes)
	r.StatusCodes = fmt.Sprintf("ok×%d %s", ok, strings.Join(codes, " "))
	return r
}

// smsPair is pair for the SMS login: miniauth at its maximum, the floor at
// its maximum, miniauth at half of its maximum.
func (b *bench) smsPair(name string, t benchTenant) {
	o := b.o
	b.measure(name, "op/s",
		func(round int) result {
			done := func() {}
			if round == 0 {
				done = b.profile(name)
			}
			defer done()
			return b.timed(b.server, func() result { return smsAttack(name, b.apiURL, t.slug, b.smsURL, o.concurrency, 0, o.duration) })
		},
		func(int) result {
			return b.timed(b.floor, func() result {
				return smsAttack("floor /sms", b.floorURL, t.slug, b.smsURL, o.concurrency, 0, o.duration)
			})
		},
		func(rate float64) result {
			return b.timed(b.server, func() result {
				return smsAttack(name+" @ ½", b.apiURL, t.slug, b.smsURL, o.concurrency, rate, o.duration)
			})
		},
		func(rate float64) result {
			return b.timed(b.floor, func() result {
				return smsAttack("floor /sms @ ½", b.floorURL, t.slug, b.smsURL, o.concurrency, rate, o.duration)
			})
		})
}

// The floor's SMS login: the least a server must do — a code from
// crypto/rand kept hashed in Redis with its lifetime, the provider's
// signed SendSms (the same client miniauth uses), then on login one
// GETDEL, one MySQL upsert and one Redis SET of the session.
type floorSMS struct {
	f *floor
	p sms.Provider
}

func (f *floor) routeSMS(app *fiber.App, endpoint string) error {
	if endpoint == "" {
		return nil
	}
	p, err := sms.NewTencent(sms.TencentConfig{SecretID: smsID, SecretKey: smsKey, SDKAppID: smsApp, SignName: "mabench",
		TemplateID: "100001", Endpoint: endpoint})
	if err != nil {
		return err
	}
	fs := &floorSMS{f: f, p: p}
	app.Post("/t/:tenant/sms/send", fs.send)
	app.Post("/t/:tenant/login/sms", fs.login)
	return nil
}

func (fs *floorSMS) key(phone string) string {
	sum := sha256.Sum256([]byte(phone))
	return fs.f.prefix + ":sms:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func codeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (fs *floorSMS) send(c *fiber.Ctx) error {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil || req.Phone == "" {
		return c.SendStatus(fiber.StatusBadRequest)
	}
	var raw [4]byte
	_, _ = rand.Read(raw[:])
	code := fmt.Sprintf("%06d", (uint32(raw[0])<<24|uint32(raw[1])<<16|uint32(raw[2])<<8|uint32(raw[3]))%1_000_000)
	ctx := c.UserContext()
	if err := fs.f.rdb.Set(ctx, fs.key(req.Phone), codeHash(code), 5*time.Minute).Err(); err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	if err := fs.p.Send(ctx, req.Phone, []string{code, "5"}); err != nil {
		return c.SendStatus(fiber.StatusBadGateway)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"expires_in": 300, "resend_after": 60})
}

func (fs *floorSMS) login(c *fiber.Ctx) error {
	var req struct {
		Phone string `json:"phone"`
		Code  string `json:"code"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil || req.Phone == "" || req.Code == "" {
		return c.SendStatus(fiber.StatusBadRequest)
	}
	ctx := c.UserContext()
	stored, err := fs.f.rdb.GetDel(ctx, fs.key(req.Phone)).Result()
	if err != nil || !bytes.Equal([]byte(stored), []byte(codeHash(req.Code))) {
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	if _, err := fs.f.db.ExecContext(ctx, `INSERT INTO floor_logins (openid, last_login_at) VALUES (?, NOW(3))
		ON DUPLICATE KEY UPDATE last_login_at = NOW(3)`, req.Phone); err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	var tok [32]byte
	_, _ = rand.Read(tok[:])
	token := "mas_" + base64.RawURLEncoding.EncodeToString(tok[:])
	if err := fs.f.rdb.Set(ctx, floorSessionKey(fs.f.prefix, token), req.Phone, 7*24*time.Hour).Err(); err != nil {
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	return c.JSON(fiber.Map{"session": token, "token_type": "Bearer"})
}

// errKind is an operation's failure as the report counts it: its step and
// status ("send: 429").
func errKind(err error) string {
	f := strings.Fields(err.Error())
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}
