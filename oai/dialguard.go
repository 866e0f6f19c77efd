package oai

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The harvester connects to what a remote repository names: its own host (whose DNS its operator controls),
// file links, redirects. Checking host names is not enough: a name may resolve, or be made to resolve
// between the check and the connection, to this machine or its private network. So every connection the
// harvester makes, redirects included, is checked at dial time against the address actually dialled:
// only public addresses, unless the operator allowed a network (ketnoi harvest --allow-net) or wrote the
// address itself as the base URL's host or a file host (staff named that machine; no name resolution can
// change it). The repository's own requests are checked too: staff chose its name, not what it resolves
// to, and the repository's answers may redirect anywhere.

// BlockedAddrError is a connection refused because its address is not a public one.
type BlockedAddrError struct {
	Host string     // as the URL names it
	Addr netip.Addr // the address it resolved to
	Kind string     // what kind of address, in words
}

func (e *BlockedAddrError) Error() string {
	return fmt.Sprintf("không kết nối tới %s: địa chỉ %s là %s, không phải địa chỉ công khai; nếu đúng là máy cần thu thập, cho phép bằng --allow-net %s",
		e.Host, e.Addr, e.Kind, e.Addr)
}

// reservedNets are the ranges outside the public internet netip's predicates leave out.
var reservedNets = []struct {
	p    netip.Prefix
	kind string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "địa chỉ “mạng này”"},
	{netip.MustParsePrefix("100.64.0.0/10"), "địa chỉ mạng dùng chung của nhà mạng (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "địa chỉ dành riêng cho giao thức"},
	{netip.MustParsePrefix("198.18.0.0/15"), "địa chỉ dành cho đo thử mạng"},
	{netip.MustParsePrefix("240.0.0.0/4"), "địa chỉ dành riêng (hoặc quảng bá)"},
	{netip.MustParsePrefix("fec0::/10"), "địa chỉ site-local"},
	// NAT64 and 6to4 carry an IPv4 address inside: any, a private one included.
	{netip.MustParsePrefix("64:ff9b::/96"), "địa chỉ NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "địa chỉ NAT64"},
	{netip.MustParsePrefix("2002::/16"), "địa chỉ 6to4"},
}

// nonPublic says what kind of address a is when it is not a public unicast one ("" when it is).
func nonPublic(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case a.IsLoopback():
		return "địa chỉ của chính máy này (loopback)"
	case a.IsPrivate():
		return "địa chỉ mạng riêng"
	case a.IsLinkLocalUnicast():
		return "địa chỉ link-local"
	case a.IsUnspecified():
		return "địa chỉ không xác định"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "địa chỉ multicast"
	}
	for _, r := range reservedNets {
		if r.p.Contains(a) {
			return r.kind
		}
	}
	return ""
}

// dialGuard decides which addresses the harvester may connect to.
type dialGuard struct {
	allow   []netip.Prefix // the operator's --allow-net
	literal []netip.Addr   // addresses staff wrote as hosts themselves
	proxies sync.Map       // "host:port" of the proxies the environment names: the operator's own
}

func newDialGuard(allow []netip.Prefix, hosts ...string) *dialGuard {
	g := &dialGuard{allow: allow}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			g.literal = append(g.literal, a.Unmap())
		}
	}
	return g
}

// check refuses a connection to addr (the address dialled) for a URL naming host.
func (g *dialGuard) check(host string, addr netip.Addr) error {
	addr = addr.Unmap()
	kind := nonPublic(addr)
	if kind == "" {
		return nil
	}
	for _, p := range g.allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		for _, l := range g.literal {
			if l == a.Unmap() && l == addr {
				return nil
			}
		}
	}
	return &BlockedAddrError{Host: host, Addr: addr, Kind: kind}
}

// dial connects to address ("host:port"), checking each address tried after it is resolved: the check is
// in the dialer's Control, called for the very socket about to connect, so nothing resolved earlier or
// later can slip past it.
func (g *dialGuard) dial(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if _, proxy := g.proxies.Load(address); !proxy {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		d.Control = func(_, resolved string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(resolved)
			if err != nil {
				return fmt.Errorf("địa chỉ kết nối %q không đọc được: %w", resolved, err)
			}
			return g.check(host, ap.Addr())
		}
	}
	return d.DialContext(ctx, network, address)
}

// proxy is the environment's proxy for a request (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), remembered as the
// operator's: the connection to it is not checked; what it connects to is up to it.
func (g *dialGuard) proxy(req *http.Request) (*url.URL, error) {
	u, err := http.ProxyFromEnvironment(req)
	if u != nil && err == nil {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
		}
		g.proxies.Store(net.JoinHostPort(u.Hostname(), port), true)
	}
	return u, err
}

// transport is an HTTP transport whose every connection goes through the guard.
func (g *dialGuard) transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = g.proxy
	t.DialContext = g.dial
	return t
}

// blocked returns the guard's refusal inside err, if that is why a request failed.
func blocked(err error) (*BlockedAddrError, bool) {
	var be *BlockedAddrError
	ok := errors.As(err, &be)
	return be, ok
}

// ParseAllowNet reads a network the operator allows the harvester to reach although it is not public: an
// address ("10.0.0.5", "::1") or a network in CIDR form ("10.0.0.0/8").
func ParseAllowNet(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q không phải địa chỉ IP hay mạng dạng CIDR (ví dụ 10.0.0.5 hoặc 10.0.0.0/8)", s)
}
