package tenantstest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"
)

// ProxyPeer is the loopback address ForwardingProxy connects from. A test
// trusts it, and only it, as a proxy; ordinary test clients connect from
// 127.0.0.1, so the server can tell the proxy from its clients.
const ProxyPeer = "127.0.0.2"

// ClientFrom is an HTTP client whose connections come from the local
// address ip (a loopback address other than 127.0.0.1, on Linux).
func ClientFrom(ip string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// ForwardingProxy is a reverse proxy in front of target (a base URL) that
// appends the address of its client to X-Forwarded-For, as load balancers
// do, and reaches target from ProxyPeer. It returns the proxy's base URL.
func ForwardingProxy(t testing.TB, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	from := ClientFrom(ProxyPeer)
	if res, err := from.Get(target); err != nil {
		t.Skipf("tenantstest: cannot connect from %s (not Linux?): %v", ProxyPeer, err)
	} else {
		res.Body.Close()
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Rewrite starts without the client's X-Forwarded-For; a real
			// proxy keeps it and appends.
			r.Out.Header["X-Forwarded-For"] = r.In.Header["X-Forwarded-For"]
			r.SetXForwarded()
		},
		Transport: from.Transport,
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}
