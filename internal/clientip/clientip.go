// Package clientip decides who a request comes from and whether it reached us over TLS, with one explicit
// rule: the direct peer (the TCP connection's address) is the client, unless that peer is one of the
// configured trusted proxies. Only then are the forwarding headers read: the client is the right-most
// address of X-Forwarded-For that is not itself a trusted proxy (every proxy appends the address it
// received the request from, so everything left of the first untrusted hop may be forged by the client),
// or X-Real-IP when the proxy sends only that; and X-Forwarded-Proto says whether the client used TLS.
// Headers sent by anyone else are ignored: a client cannot choose its own address by sending them.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver applies the rule for a list of trusted proxies. The zero value trusts nobody.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver trusting the proxies in the given networks.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: append([]netip.Prefix(nil), trusted...)}
}

// ParsePrefixes reads a comma- or space-separated list of networks (CIDR) or single addresses, as given on
// the command line: "127.0.0.1, 10.0.0.0/8, ::1". An empty list trusts nobody.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("mạng %q không hợp lệ (cần dạng 10.0.0.0/8 hoặc fd00::/8): %w", f, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("địa chỉ %q không hợp lệ (cần dạng 127.0.0.1 hoặc ::1): %w", f, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Trusted says whether a is a trusted proxy.
func (r *Resolver) Trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer is the address of the direct peer; invalid when RemoteAddr is not an address (a test request).
func Peer(req *http.Request) netip.Addr {
	host := req.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// Client is the client's address by the rule above.
func (r *Resolver) Client(req *http.Request) netip.Addr {
	peer := Peer(req)
	if !peer.IsValid() || !r.Trusted(peer) {
		return peer
	}
	var hops []string
	for _, h := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	if len(hops) == 0 {
		if a, ok := parseHop(req.Header.Get("X-Real-IP")); ok {
			return a
		}
		return peer
	}
	last := peer // the nearest hop known so far
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy passed on something that is not an address: nothing left of it can be
			// believed, and the proxy that passed it on is the best we know.
			return last
		}
		if !r.Trusted(a) {
			return a
		}
		last = a
	}
	// Every hop is a trusted proxy: the request started inside them.
	return last
}

// parseHop reads one hop of X-Forwarded-For or X-Real-IP: an address, IPv6 possibly in brackets, possibly
// with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// TLS says whether the client reached us over TLS: directly, or through a trusted proxy that says so in
// X-Forwarded-Proto (the first value: the scheme the client used with the first proxy).
func (r *Resolver) TLS(req *http.Request) bool {
	if req.TLS != nil {
		return true
	}
	peer := Peer(req)
	if !peer.IsValid() || !r.Trusted(peer) {
		return false
	}
	proto, _, _ := strings.Cut(req.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// Forwarded says whether a request carries forwarding headers that the rule ignored because its peer is
// not trusted: a sign that a proxy in front of the server is missing from the trusted list.
func (r *Resolver) Forwarded(req *http.Request) bool {
	peer := Peer(req)
	if peer.IsValid() && r.Trusted(peer) {
		return false
	}
	return req.Header.Get("X-Forwarded-For") != "" || req.Header.Get("X-Real-IP") != ""
}
