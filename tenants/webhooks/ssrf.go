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

// block is an address range webhooks may not reach, with what it is.
type block struct {
	prefix netip.Prefix
	what   string
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// special4 is every entry of the IANA IPv4 special-purpose address
// registry that is not globally reachable, with multicast and the
// reserved class E. The first match names the reason, so narrower blocks
// come before the blocks that contain them.
var special4 = []block{
	{pfx("0.0.0.0/8"), `"this network"`},
	{pfx("10.0.0.0/8"), "private-use"},
	{pfx("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
	{pfx("127.0.0.0/8"), "loopback"},
	{pfx("169.254.0.0/16"), "link-local"}, // where cloud metadata services live
	{pfx("172.16.0.0/12"), "private-use"},
	// Two /32s in here (PCP and TURN anycast) are globally reachable,
	// but they are protocol services, not webhook receivers.
	{pfx("192.0.0.0/24"), "reserved for IETF protocol assignments"},
	{pfx("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{pfx("192.88.99.0/24"), "the deprecated 6to4 relay anycast"},
	{pfx("192.168.0.0/16"), "private-use"},
	{pfx("198.18.0.0/15"), "benchmarking"},
	{pfx("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{pfx("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{pfx("224.0.0.0/4"), "multicast"},
	{pfx("255.255.255.255/32"), "limited broadcast"},
	{pfx("240.0.0.0/4"), "reserved"},
}

// special6 is the same for the IPv6 registry. The forms that embed an
// IPv4 address a packet ends up at (v4-mapped, NAT64 64:ff9b::/96, 6to4)
// are not here: embedded4 takes the IPv4 address out to be judged itself.
var special6 = []block{
	{pfx("::/128"), "unspecified"},
	{pfx("::1/128"), "loopback"},
	// Deprecated (RFC 4291) and refused outright whatever it embeds: no
	// receiver has one, and stacks that still know the form tunnel it to
	// the embedded IPv4 address.
	{pfx("::/96"), "IPv4-compatible (deprecated)"},
	// Its mapping to IPv4 is the local operator's, so the embedded address
	// says nothing of where the packet goes.
	{pfx("64:ff9b:1::/48"), "local-use NAT64"},
	{pfx("100::/64"), "discard-only"},
	{pfx("100:0:0:1::/64"), "the dummy prefix"},
	// Teredo, benchmarking, ORCHID and a few anycast services (PCP, TURN,
	// AMT, AS112) are in here; the globally reachable ones are protocol
	// services, not webhook receivers, so the whole block is refused.
	{pfx("2001::/23"), "reserved for IETF protocol assignments"},
	{pfx("2001:db8::/32"), "documentation"},
	{pfx("3fff::/20"), "documentation"},
	{pfx("5f00::/16"), "segment routing (SRv6) SIDs"},
	{pfx("fc00::/7"), "unique local"},
	{pfx("fe80::/10"), "link-local"},
	{pfx("fec0::/10"), "site-local (deprecated)"},
	{pfx("ff00::/8"), "multicast"},
}

var (
	nat64     = pfx("64:ff9b::/96")
	sixToFour = pfx("2002::/16")
	// unicast6 is all the global unicast space IANA has allocated: outside
	// it IPv6 is reserved, unassigned or one of the forms above.
	unicast6 = pfx("2000::/3")
)

// embedded4 returns the IPv4 address that a packet to ip is delivered to,
// for the forms whose translation is standard: the address is exactly as
// reachable as that IPv4 address, public or not.
func embedded4(ip netip.Addr) (netip.Addr, string, bool) {
	b := ip.As16()
	switch {
	case ip.Is4In6():
		return ip.Unmap(), "mapped", true
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), "through NAT64", true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), "through 6to4", true
	}
	return netip.Addr{}, "", false
}

// nonPublic says what ip is if webhooks may not reach it, or "" if they may.
func nonPublic(ip netip.Addr) string {
	ip = ip.WithZone("") // a zoned address matches no prefix
	if !ip.IsValid() {
		return "not an address"
	}
	if ip.Is4() {
		return lookup(special4, ip)
	}
	if v4, how, ok := embedded4(ip); ok {
		if what := nonPublic(v4); what != "" {
			return fmt.Sprintf("%s (%s %s)", what, v4, how)
		}
		return ""
	}
	if what := lookup(special6, ip); what != "" {
		return what
	}
	if !unicast6.Contains(ip) {
		return "outside the global unicast space"
	}
	return ""
}

func lookup(bs []block, ip netip.Addr) string {
	for _, b := range bs {
		if b.prefix.Contains(ip) {
			return b.what
		}
	}
	return ""
}

// checkAddr refuses an address webhooks may not reach, saying why.
func checkAddr(ip netip.Addr) error {
	if what := nonPublic(ip); what != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, ip, what)
	}
	return nil
}

// checkURL validates an endpoint URL, and unless allowPrivate, refuses
// hosts that are or resolve to non-public addresses, so that the tenant
// hears of it at once. The dialer checks again at every connection, since
// DNS may answer differently later: that is the guard, this the courtesy.
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
		if err := checkAddr(ip); err != nil {
			return "", err
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
		if err := checkAddr(a); err != nil {
			return "", fmt.Errorf("%w (%s resolves to it)", err, host)
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
	return checkAddr(ap.Addr())
}
