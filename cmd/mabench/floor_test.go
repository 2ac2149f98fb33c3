package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"miniauth/tenants/sessions"
	"miniauth/tenants/tenantstest"
	"miniauth/tenants/wechat/wechattest"
)

// The floor must do what docs/performance.md says it does, and answer what
// miniauth answers, or the ratios mean nothing.
func TestFloor(t *testing.T) {
	db, _ := tenantstest.DB(t)
	if _, err := db.Exec(floorTable); err != nil {
		t.Fatal(err)
	}
	rdbU, prefix := tenantstest.Redis(t)
	rdb, ok := rdbU.(*redis.Client)
	if !ok {
		t.Skip("the floor runs on a single Redis")
	}
	wx := wechattest.New(wechattest.Options{})
	wx.AddApp("wxfloor000001", "floor-secret-0123456789", "")
	wxHTTP := httptest.NewServer(wx.Handler())
	t.Cleanup(wxHTTP.Close)

	f := &floor{rdb: rdb, db: db, http: http.DefaultClient, wx: wxHTTP.URL, prefix: prefix + "-floor",
		apps: map[string]string{"wxfloor000001": "floor-secret-0123456789"}}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/t/:tenant/me", f.me)
	app.Post("/t/:tenant/introspect", f.introspect)
	app.Post("/t/:tenant/login", f.login)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	base := "http://" + ln.Addr().String()

	const token = "mas_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	if got, want := floorSessionKey("p", token), "p:s:"+sessions.IDOf(token); got != want {
		t.Fatalf("floor key %q, want the session id's %q", got, want)
	}
	if err := seedFloor(context.Background(), rdb, f.prefix, []tokenOf{{slug: "acme", token: token}}); err != nil {
		t.Fatal(err)
	}
	code, err := wx.IssueCode("wxfloor000001", "ann")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, path, auth, body string
		status                         int
		want                           string // in the body
	}{
		{"me", "GET", "/t/acme/me", "Bearer " + token, "", 200, `"user":{"id":"u_`},
		{"me, unknown token", "GET", "/t/acme/me", "Bearer mas_x", "", 401, ""},
		{"introspect", "POST", "/t/acme/introspect", "", `{"token":"` + token + `"}`, 200, `"user":{"id":"u_`},
		{"login", "POST", "/t/acme/login", "", `{"code":"` + code + `","appid":"wxfloor000001"}`, 200, `"session":"mas_`},
		{"login, code spent", "POST", "/t/acme/login", "", `{"code":"` + code + `","appid":"wxfloor000001"}`, 502, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%d %s, want %d with %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}

	// The login wrote its three things: the upsert, and a session under
	// the floor's prefix that /me then serves.
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM floor_logins WHERE openid = ?`, wx.OpenID("wxfloor000001", "ann")); err != nil || n != 1 {
		t.Fatalf("floor_logins has %d rows for ann (%v), want 1", n, err)
	}
	keys, err := tenantstest.Keys(context.Background(), rdb, f.prefix+":s:*")
	if err != nil || len(keys) != 2 {
		t.Fatalf("floor session keys %v (%v), want the seeded one and the login's", keys, err)
	}
}
