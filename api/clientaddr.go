package api

import (
	"bytes"
	"net/netip"

	"github.com/gofiber/fiber/v2"
)

const localClientIP = "client_ip"

// clientAddr works out the client's address once per request
// for the rate limits, the admin lockout, the audit log, the session index
// and the access log; clientIP reads it. Never use c.IP(): behind a proxy
// it is whatever the client wrote into X-Forwarded-For.
func (s *Server) clientAddr(c *fiber.Ctx) error {
	if len(s.deps.TrustedProxies) == 0 {
		return c.Next() // the peer: clientIP reads it as cheaply as it is kept
	}
	xff := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	c.Locals(localClientIP, addrString(clientIPOf(s.deps.TrustedProxies, peerAddr(c), xff)))
	return c.Next()
}

// clientIP is the request's client address (see clientAddr): the peer
// without trusted proxies, and for a request that failed before the
// middleware ran.
func clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	return addrString(peerAddr(c))
}

func peerAddr(c *fiber.Ctx) netip.Addr {
	a, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return a.Unmap()
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// clientIPOf is the rightmost X-Forwarded-For entry that is not a trusted
// proxy, reading every header from the right: what a proxy appends is the
// peer it saw, while everything left of the first untrusted entry was
// written by the client. The peer itself when it is not trusted, when
// there is no X-Forwarded-For, or when the entry is not an IP address.
func clientIPOf(trusted []netip.Prefix, peer netip.Addr, xff [][]byte) netip.Addr {
	if len(xff) == 0 || !trusts(trusted, peer) {
		return peer
	}
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		rest := xff[i]
		for len(rest) > 0 {
			entry := rest
			if j := bytes.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = nil
			}
			if entry = bytes.TrimSpace(entry); len(entry) == 0 {
				continue
			}
			a, ok := parseForwarded(entry)
			if !ok {
				return peer
			}
			if !trusts(trusted, a) {
				return a
			}
			client = a // a chain of trusted proxies only: the leftmost is the client
		}
	}
	return client
}

// parseForwarded reads one X-Forwarded-For entry: an IP address, or one
// with a port as some balancers write it.
func parseForwarded(entry []byte) (netip.Addr, bool) {
	a, err := netip.ParseAddr(string(entry))
	if err != nil {
		ap, perr := netip.ParseAddrPort(string(entry))
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	// Canonical and short: an IPv4-mapped address is IPv4, a zone says
	// nothing about the client. At most 39 characters (the audit column
	// holds 45).
	return a.Unmap().WithZone(""), true
}

func trusts(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
