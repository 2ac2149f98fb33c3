package api_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// upload posts data as wx.uploadFile does: multipart/form-data, the file
// in field (normally "file").
func (e *env) upload(token, field, filename string, data []byte) response {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile(field, filename)
	fw.Write(data)
	mw.Close()
	return e.do("POST", "/t/acme/me/avatar", b.String(), "Content-Type", mw.FormDataContentType(), "Authorization", "Bearer "+token)
}

// fetch is a GET whose answer need not be JSON.
func (e *env) fetch(path string, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func pngImage(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegImage(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpImage is the smallest thing net/http sniffs as WebP: a RIFF header
// naming WEBP and a VP8 chunk.
func webpImage() []byte {
	return append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...)
}

// TestAvatarUpload: the chooseAvatar file, uploaded with wx.uploadFile
// (WeChat gives a temporary path that the server must store), is
// kept by the product and served from its own URL.
func TestAvatarUpload(t *testing.T) {
	e := newEnv(t)
	token := e.login("alice")
	big := append(pngImage(t), make([]byte, 1<<20)...)
	scenarios := []struct {
		name     string
		field    string
		filename string
		data     []byte
		status   int
		code     string
		ctype    string // of the stored avatar
	}{
		{"PNG", "file", "a.png", pngImage(t), 200, "", "image/png"},
		{"JPEG named .png: the content decides", "file", "a.png", jpegImage(t), 200, "", "image/jpeg"},
		{"WebP with no name", "file", "tmp_123", webpImage(), 200, "", "image/webp"},
		{"GIF", "file", "a.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 400, "unsupported_image", ""},
		{"HTML named .png", "file", "a.png", []byte("<html><script>alert(1)</script></html>"), 400, "unsupported_image", ""},
		{"SVG", "file", "a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 400, "unsupported_image", ""},
		{"empty file", "file", "a.png", nil, 400, "unsupported_image", ""},
		{"wrong field", "avatar", "a.png", pngImage(t), 400, "invalid_request", ""},
		{"just over 1 MiB", "file", "a.png", big, 413, "request_too_large", ""},
		{"far over 1 MiB (cut off before parsing)", "file", "a.png", append(big, make([]byte, 1<<19)...), 413, "request_too_large", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			var before string
			e.db.Get(&before, "SELECT avatar_url FROM users")
			r := e.upload(token, sc.field, sc.filename, sc.data)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %.300s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			var after string
			e.db.Get(&after, "SELECT avatar_url FROM users")
			if sc.status != 200 {
				if after != before {
					t.Fatalf("a refused upload changed avatar_url %q → %q", before, after)
				}
				return
			}
			url := r.Body["user"].(map[string]any)["avatar_url"].(string)
			prefix := e.base + "/t/acme/avatars/av_"
			if url != after || !strings.HasPrefix(url, prefix) || len(url) < len(prefix)+20 {
				t.Fatalf("avatar_url %q (MySQL %q), want a random one under %s", url, after, prefix)
			}
			if n := e.count("SELECT COUNT(*) FROM avatars"); n != 1 {
				t.Fatalf("%d avatars stored: old ones are pruned", n)
			}
			res, body := e.fetch(strings.TrimPrefix(url, e.base))
			if res.StatusCode != 200 || !bytes.Equal(body, sc.data) || res.Header.Get("Content-Type") != sc.ctype ||
				res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("ETag") == "" {
				t.Fatalf("GET %s: %d %v", url, res.StatusCode, res.Header)
			}
			again, body := e.fetch(strings.TrimPrefix(url, e.base), "If-None-Match", res.Header.Get("ETag"))
			if again.StatusCode != 304 || len(body) != 0 {
				t.Fatalf("If-None-Match: %d, %d bytes", again.StatusCode, len(body))
			}
			if me := e.do("GET", "/t/acme/me", "", bearer(token)...); me.Body["user"].(map[string]any)["avatar_url"] != url {
				t.Fatalf("/me: %s", me.Raw)
			}
		})
	}
	e.t = t
	if r := e.upload("", "file", "a.png", pngImage(t)); r.Status != 401 {
		t.Fatalf("no session: %d", r.Status)
	}
	// The avatar route's limit is its own: other routes keep 64 KiB.
	if r := e.do("PATCH", "/t/acme/me", `{"nickname":"`+strings.Repeat("a", 70_000)+`"}`, bearer(token)...); r.Status != 413 {
		t.Fatalf("PATCH /me with 70 KB: %d", r.Status)
	}
	if r := e.do("POST", "/t/acme/me/decrypt", `{"iv":"`+strings.Repeat("a", 200_000)+`"}`, bearer(token)...); r.Status != 413 {
		t.Fatalf("decrypt with 200 KB: %d", r.Status)
	}
}

// TestAvatarScope: avatar URLs are random and scoped by tenant; an old
// upload is gone once replaced; deleting the user deletes the avatar.
func TestAvatarScope(t *testing.T) {
	a := newAdminEnv(t)
	e := a.env
	token := e.login("alice")
	first := e.upload(token, "file", "a.png", pngImage(t)).Body["user"].(map[string]any)["avatar_url"].(string)
	r := e.upload(token, "file", "b.jpg", jpegImage(t))
	u := r.Body["user"].(map[string]any)
	second := u["avatar_url"].(string)
	id := second[strings.LastIndex(second, "/")+1:]
	if first == second {
		t.Fatal("two uploads share a URL")
	}
	for _, sc := range []struct {
		name, path string
		status     int
	}{
		{"current", "/t/acme/avatars/" + id, 200},
		{"replaced one is pruned", strings.TrimPrefix(first, e.base), 404},
		{"another tenant's path", "/t/globex/avatars/" + id, 404},
		{"guessed id", "/t/acme/avatars/av_00000000000000000000000000", 404},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if res, _ := e.fetch(sc.path); res.StatusCode != sc.status {
				t.Fatalf("GET %s: %d, want %d", sc.path, res.StatusCode, sc.status)
			}
		})
	}
	e.t = t
	if r := a.as(a.callers[own], "DELETE", "/admin/api/tenants/acme/users/"+u["id"].(string), ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if res, _ := e.fetch("/t/acme/avatars/" + id); res.StatusCode != 404 || e.count("SELECT COUNT(*) FROM avatars") != 0 {
		t.Fatalf("the deleted user's avatar: %d, %d rows", res.StatusCode, e.count("SELECT COUNT(*) FROM avatars"))
	}
}
