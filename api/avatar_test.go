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

// avatarForm is data as wx.uploadFile posts it: a multipart/form-data
// body with the file in field (normally "file"), and its Content-Type.
func avatarForm(field, filename string, data []byte) (body, ctype string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile(field, filename)
	fw.Write(data)
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// upload is the row that posts data as avatarForm builds it.
func upload(name, field, filename string, data []byte) scenario {
	body, ctype := avatarForm(field, filename, data)
	return scenario{name: name, path: "/t/acme/me/avatar", body: body, ctype: ctype}
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
// (wechat-open-api §5.1: a temporary path that the server must store), is
// kept by the product and served from its own URL.
func TestAvatarUpload(t *testing.T) {
	e := newEnv(t)
	token := e.login("alice")
	big := append(pngImage(t), make([]byte, 1<<20)...)
	avatarURL := func() string {
		var u string
		e.db.Get(&u, "SELECT avatar_url FROM users")
		return u
	}
	for _, sc := range []struct {
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
	} {
		var before, url, etag string
		row := upload("upload", sc.field, sc.filename, sc.data)
		row.status, row.code = sc.status, sc.code
		row.before = func(e *env) { before = avatarURL() }
		row.check = func(t *testing.T, r response) {
			after := avatarURL()
			if sc.status != 200 {
				if after != before {
					t.Fatalf("a refused upload changed avatar_url %q → %q", before, after)
				}
				return
			}
			url = r.str("user", "avatar_url")
			prefix := e.base + "/t/acme/avatars/av_"
			if url != after || !strings.HasPrefix(url, prefix) || len(url) < len(prefix)+20 {
				t.Fatalf("avatar_url %q (MySQL %q), want a random one under %s", url, after, prefix)
			}
			if n := e.count("SELECT COUNT(*) FROM avatars"); n != 1 {
				t.Fatalf("%d avatars stored: old ones are pruned", n)
			}
		}
		steps := []scenario{row}
		if sc.status == 200 {
			served := func(*env) string { return strings.TrimPrefix(url, e.base) }
			steps = append(steps,
				scenario{name: "served", method: "GET", pathFn: served, header: []string{}, raw: true, status: 200,
					check: func(t *testing.T, r response) {
						if r.Raw != string(sc.data) || r.Header.Get("Content-Type") != sc.ctype ||
							r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
							r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("ETag") == "" {
							t.Fatalf("GET %s: %d bytes, %v", url, len(r.Raw), r.Header)
						}
						etag = r.Header.Get("ETag")
					}},
				scenario{name: "If-None-Match", method: "GET", pathFn: served, headerFn: func(*env) []string { return []string{"If-None-Match", etag} },
					raw: true, status: 304, check: func(t *testing.T, r response) {
						if len(r.Raw) != 0 {
							t.Fatalf("If-None-Match: %d bytes", len(r.Raw))
						}
					}},
				scenario{name: "the profile", method: "GET", path: "/t/acme/me", status: 200, check: func(t *testing.T, r response) {
					if r.obj("user")["avatar_url"] != url {
						t.Fatalf("/me: %s", r.Raw)
					}
				}})
		}
		t.Run(sc.name, func(t *testing.T) { runStory(t, e, scenario{header: bearer(token)}, steps) })
	}
	e.t = t
	noSession := upload("no session", "file", "a.png", pngImage(t))
	noSession.header, noSession.status = bearer(""), 401
	runScenarios(t, e, scenario{header: bearer(token)}, []scenario{
		noSession,
		// The avatar route's limit is its own: other routes keep 64 KiB.
		{name: "PATCH /me with 70 KB", method: "PATCH", path: "/t/acme/me", body: `{"nickname":"` + strings.Repeat("a", 70_000) + `"}`, status: 413},
		{name: "decrypt with 200 KB", path: "/t/acme/me/decrypt", body: `{"iv":"` + strings.Repeat("a", 200_000) + `"}`, status: 413},
	})
}

// TestAvatarScope: avatar URLs are random and scoped by tenant; an old
// upload is gone once replaced; deleting the user deletes the avatar.
func TestAvatarScope(t *testing.T) {
	a := newAdminEnv(t)
	e := a.env
	token := e.login("alice")
	var first, second, id, userID string
	one, two := upload("first upload", "file", "a.png", pngImage(t)), upload("second upload", "file", "b.jpg", jpegImage(t))
	one.status, two.status = 200, 200
	one.check = func(t *testing.T, r response) { first = r.str("user", "avatar_url") }
	two.check = func(t *testing.T, r response) {
		second, userID = r.str("user", "avatar_url"), r.str("user", "id")
		id = second[strings.LastIndex(second, "/")+1:]
		if first == second {
			t.Fatal("two uploads share a URL")
		}
	}
	runStory(t, e, scenario{header: bearer(token)}, []scenario{one, two})
	runScenarios(t, e, scenario{method: "GET", header: []string{}, raw: true}, []scenario{
		{name: "current", pathFn: func(*env) string { return "/t/acme/avatars/" + id }, status: 200},
		{name: "replaced one is pruned", pathFn: func(*env) string { return strings.TrimPrefix(first, e.base) }, status: 404},
		{name: "another tenant's path", pathFn: func(*env) string { return "/t/globex/avatars/" + id }, status: 404},
		{name: "guessed id", path: "/t/acme/avatars/av_00000000000000000000000000", status: 404},
	})
	runStory(t, e, scenario{}, []scenario{
		{name: "delete the user", method: "DELETE", pathFn: func(*env) string { return "/admin/api/tenants/acme/users/" + userID },
			header: adminHeader(a.callers[own]), status: 204, delta: state{-1, -1, -1}, audit: []string{"user.deleted"}},
		{name: "the deleted user's avatar", method: "GET", pathFn: func(*env) string { return "/t/acme/avatars/" + id }, raw: true, status: 404,
			check: func(t *testing.T, r response) {
				if n := e.count("SELECT COUNT(*) FROM avatars"); n != 0 {
					t.Fatalf("%d avatar rows after the delete", n)
				}
			}},
	})
}
