package webhooks

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	refused := []string{
		// IPv4 special-purpose blocks, first and inner addresses.
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.255.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.1", "192.0.0.9", "192.0.0.170", "192.0.2.1", "192.88.99.1", "192.168.0.10",
		"198.18.0.1", "198.19.255.254", "198.51.100.7", "203.0.113.9",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "254.1.2.3", "255.255.255.255",
		// IPv6 special-purpose blocks.
		"::", "::1", "::127.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:0.0.0.0",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::c0a8:1", "64:ff9b:1::808:808", "64:ff9b:1:ffff::1",
		"100::1", "100::ffff:ffff:ffff:ffff", "100:0:0:1::1",
		"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:1::1", "2001:2::1", "2001:3::1",
		"2001:4:112::1", "2001:10::1", "2001:20::1", "2001:1ff::1",
		"2001:db8::1", "2001:db8:ffff::1",
		"2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:1::1", "2002::",
		"3fff::1", "5f00::1",
		"fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0", "febf::1", "fec0::1", "feff::1",
		"ff02::1", "ff05::1:3",
		// Outside the allocated global unicast space.
		"::ffff:0:7f00:1", "4000::1", "8000::1", "e000::1",
	}
	for _, s := range refused {
		t.Run(s, func(t *testing.T) {
			ip := netip.MustParseAddr(s)
			if err := checkAddr(ip); !errors.Is(err, ErrRefused) {
				t.Errorf("checkAddr: %v, want ErrRefused", err)
			}
			if err := dialControl("tcp6", netip.AddrPortFrom(ip, 443).String(), nil); !errors.Is(err, ErrRefused) {
				t.Errorf("dialControl: %v, want ErrRefused", err)
			}
		})
	}
	public := []string{
		"8.8.8.8", "93.184.215.14", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1",
		"192.0.1.1", "192.31.196.1", "192.88.98.1", "198.17.255.255", "198.20.0.1", "223.255.255.254",
		"2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "2001:200::1", "2001:4860:4860::8888",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
	}
	for _, s := range public {
		t.Run(s, func(t *testing.T) {
			ip := netip.MustParseAddr(s)
			if err := checkAddr(ip); err != nil {
				t.Errorf("checkAddr: %v, want it allowed", err)
			}
			if err := dialControl("tcp6", netip.AddrPortFrom(ip, 443).String(), nil); err != nil {
				t.Errorf("dialControl: %v, want it allowed", err)
			}
		})
	}
	if err := dialControl("tcp", "not-an-address:443", nil); !errors.Is(err, ErrRefused) {
		t.Errorf("dial of an unparsable address: %v", err)
	}
	// The reason names the embedded IPv4 address.
	if err := checkAddr(netip.MustParseAddr("64:ff9b::7f00:1")); err == nil || !strings.Contains(err.Error(), "loopback (127.0.0.1 through NAT64)") {
		t.Errorf("NAT64 of loopback: %v", err)
	}
}
