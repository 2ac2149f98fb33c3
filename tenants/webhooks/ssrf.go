package webhooks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"miniauth/tenants"
)

// cgnat is the shared address space of carrier-grade NAT (RFC 6598): as
// internal as a private network from where miniauth runs.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr reports whether ip may receive webhooks from the platform.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !cgnat.Contains(ip) && !(ip.Is4() && ip.As4()[0] == 0)
}

// checkURL validates an endpoint URL, and unless allowPrivate, refuses
// hosts that are or resolve to non-public addresses. The dialer checks
// again at every connection, since DNS may answer differently later.
func checkURL(ctx context.Context, raw string, allowPrivate bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || len(raw) > 2048:
		return "", tenants.Invalid("url must be an absolute http(s) URL of at most 2048 characters")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", tenants.Invalid("url must use https or http")
	case u.Host == "" || u.Hostname() == "":
		return "", tenants.Invalid("url has no host")
	case u.User != nil:
		return "", tenants.Invalid("url must not carry credentials")
	case u.Fragment != "":
		return "", tenants.Invalid("url must not have a fragment")
	}
	if allowPrivate {
		return u.String(), nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(ip) {
			return "", fmt.Errorf("%w: %s", ErrRefused, host)
		}
		return u.String(), nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "", fmt.Errorf("%w: %s", ErrRefused, host)
	}
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return "", tenants.Invalid("url host does not resolve")
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return "", fmt.Errorf("%w: %s resolves to a non-public address", ErrRefused, host)
		}
	}
	return u.String(), nil
}

// dialControl refuses connections to non-public addresses, after DNS,
// at the moment of connecting: no rebinding trick gets past it.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrRefused, ap.Addr())
	}
	return nil
}
