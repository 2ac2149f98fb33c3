package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestDecodeJSON pins what decodeJSON accepts, and for what it refuses,
// the 400 and the reason it gives (the same as before the one-pass
// Unmarshal came first).
func TestDecodeJSON(t *testing.T) {
	type body struct {
		Code  string `json:"code"`
		AppID string `json:"appid"`
	}
	for _, tc := range []struct {
		name, ctype, body string
		want              string // the refusal's message; "" for accepted
		code              string // what an accepted body filled in
	}{
		{"one object", "application/json", `{"code":"c1","appid":"wx1"}`, "", "c1"},
		{"no content type", "", `{"code":"c1"}`, "", "c1"},
		{"charset", "application/json; charset=utf-8", `{"code":"c1"}`, "", "c1"},
		{"spaces around", "application/json", " \n{\"code\":\"c1\"}\n ", "", "c1"},
		{"unknown fields ignored", "application/json", `{"code":"c1","extra":1}`, "", "c1"},
		{"empty", "application/json", ``, "request body must be a JSON object", ""},
		{"only spaces", "application/json", " \n\t", "request body must be a JSON object", ""},
		{"form", "application/x-www-form-urlencoded", `{"code":"c1"}`, "Content-Type must be application/json", ""},
		{"two objects", "application/json", `{"code":"c1"} {"code":"c2"}`, "request body must hold a single JSON object", "c1"},
		{"trailing garbage", "application/json", `{"code":"c1"}x`, "request body must hold a single JSON object", "c1"},
		{"broken", "application/json", `{"code":"c1"`, "request body is not valid JSON for this endpoint", ""},
		{"wrong type", "application/json", `{"code":1}`, "request body is not valid JSON for this endpoint", ""},
		{"not an object", "application/json", `"code"`, "request body is not valid JSON for this endpoint", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New()
			var got body
			var derr error
			app.Post("/", func(c *fiber.Ctx) error {
				derr = decodeJSON(c, &got)
				return c.SendStatus(fiber.StatusNoContent)
			})
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if _, err := app.Test(req); err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if derr != nil {
					t.Fatalf("refused: %v", derr)
				}
				if got.Code != tc.code {
					t.Fatalf("code = %q, want %q", got.Code, tc.code)
				}
				return
			}
			var e *Error
			if !errors.As(derr, &e) {
				t.Fatalf("err = %v, want a 400 with %q", derr, tc.want)
			}
			if e.Status != fiber.StatusBadRequest || e.Code != CodeInvalidRequest || e.Message != tc.want {
				t.Fatalf("err = %d %s %q, want 400 %s %q", e.Status, e.Code, e.Message, CodeInvalidRequest, tc.want)
			}
		})
	}
}
