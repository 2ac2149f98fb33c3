package api

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientIPOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	proxy, stranger := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.51.100.1")
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    netip.Addr
		xff     []string
		want    string
	}{
		{"no trusted proxies", nil, proxy, []string{"203.0.113.7"}, "10.0.0.1"},
		{"untrusted peer", trusted, stranger, []string{"203.0.113.7"}, "198.51.100.1"},
		{"trusted peer, no header", trusted, proxy, nil, "10.0.0.1"},
		{"one entry", trusted, proxy, []string{"203.0.113.7"}, "203.0.113.7"},
		{"the client's own entries are left of the proxy's", trusted, proxy, []string{"1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"trusted proxies are skipped", trusted, proxy, []string{"1.1.1.1, 203.0.113.7, 10.9.9.9"}, "203.0.113.7"},
		{"several headers, read from the last", trusted, proxy, []string{"1.1.1.1", "203.0.113.7, 10.9.9.9"}, "203.0.113.7"},
		{"across headers", trusted, proxy, []string{"1.1.1.1, 203.0.113.7", "10.9.9.9"}, "203.0.113.7"},
		{"only proxies: the leftmost", trusted, proxy, []string{"10.1.1.1, 10.9.9.9"}, "10.1.1.1"},
		{"empty entries", trusted, proxy, []string{" , 203.0.113.7 , "}, "203.0.113.7"},
		{"garbage", trusted, proxy, []string{"1.1.1.1, " + strings.Repeat("x", 60)}, "10.0.0.1"},
		{"garbage behind a proxy", trusted, proxy, []string{"nonsense, 10.9.9.9"}, "10.0.0.1"},
		{"empty header", trusted, proxy, []string{""}, "10.0.0.1"},
		{"IPv6", trusted, proxy, []string{"2001:db8::1, 2001:db8:ffff::2"}, "2001:db8::1"},
		{"with a port", trusted, proxy, []string{"203.0.113.7:5123"}, "203.0.113.7"},
		{"IPv6 with a port", trusted, proxy, []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv4-mapped", trusted, proxy, []string{"::ffff:203.0.113.7, ::ffff:10.9.9.9"}, "203.0.113.7"},
		{"zone dropped", trusted, proxy, []string{"fe80::1%eth0"}, "fe80::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var xff [][]byte
			for _, h := range tc.xff {
				xff = append(xff, []byte(h))
			}
			if got := clientIPOf(tc.trusted, tc.peer, xff).String(); got != tc.want {
				t.Fatalf("client = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestNoRawClientIP keeps Fiber's c.IP() out of the package: behind a proxy
// it is what the client wrote, and every use of the client's address goes
// through clientIP.
func TestNoRawClientIP(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if strings.Contains(code, ".IP()") {
				t.Errorf("%s:%d uses c.IP(); use clientIP(c)", f, i+1)
			}
		}
	}
}
