package clientip

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClient(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	r := New(trusted)
	tests := []struct {
		name     string
		peer     string
		xff      []string // X-Forwarded-For header lines
		realIP   string
		want     string
		fwdProto string
		wantTLS  bool
	}{
		{name: "direct client", peer: "203.0.113.7:5000", want: "203.0.113.7"},
		{name: "untrusted peer's headers are ignored", peer: "203.0.113.7:5000", xff: []string{"198.51.100.1"}, realIP: "198.51.100.2",
			fwdProto: "https", want: "203.0.113.7"},
		{name: "trusted proxy, one hop", peer: "10.1.2.3:80", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "forged left part is skipped: right-most untrusted hop", peer: "10.1.2.3:80", xff: []string{"1.2.3.4, 198.51.100.1"},
			want: "198.51.100.1"},
		{name: "chain of trusted proxies", peer: "10.1.2.3:80", xff: []string{"198.51.100.1, 10.9.9.9"}, want: "198.51.100.1"},
		{name: "several header lines", peer: "127.0.0.1:80", xff: []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, want: "198.51.100.1"},
		{name: "all hops trusted", peer: "10.1.2.3:80", xff: []string{"10.0.0.5, 10.0.0.6"}, want: "10.0.0.5"},
		{name: "garbage hop stops the walk at the proxy that passed it", peer: "10.1.2.3:80", xff: []string{"1.2.3.4, nonsense, 10.7.7.7"},
			want: "10.7.7.7"},
		{name: "X-Real-IP from a trusted proxy", peer: "[::1]:80", realIP: "2001:db8::5", want: "2001:db8::5"},
		{name: "bracketed IPv6 with port", peer: "10.1.2.3:80", xff: []string{"[2001:db8::7]:443"}, want: "2001:db8::7"},
		{name: "IPv4-mapped IPv6 peer is trusted as IPv4", peer: "[::ffff:10.1.2.3]:80", xff: []string{"198.51.100.9"}, want: "198.51.100.9"},
		{name: "loopback without headers", peer: "127.0.0.1:9999", want: "127.0.0.1"},
		{name: "TLS from a trusted proxy", peer: "10.1.2.3:80", xff: []string{"198.51.100.1"}, fwdProto: "https", want: "198.51.100.1", wantTLS: true},
		{name: "TLS: first value counts", peer: "10.1.2.3:80", fwdProto: "HTTPS, http", want: "10.1.2.3", wantTLS: true},
		{name: "plain from a trusted proxy", peer: "10.1.2.3:80", fwdProto: "http", want: "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.peer
			for _, h := range tt.xff {
				req.Header.Add("X-Forwarded-For", h)
			}
			if tt.realIP != "" {
				req.Header.Set("X-Real-IP", tt.realIP)
			}
			if tt.fwdProto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.fwdProto)
			}
			if got := r.Client(req); got.String() != tt.want {
				t.Errorf("Client = %s, want %s", got, tt.want)
			}
			if got := r.TLS(req); got != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got, tt.wantTLS)
			}
		})
	}
}

func TestNobodyTrustedByDefault(t *testing.T) {
	var r Resolver
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "127.0.0.1:1234"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Set("X-Forwarded-Proto", "https")
	if got := r.Client(req).String(); got != "127.0.0.1" {
		t.Errorf("Client = %s, want the peer", got)
	}
	if r.TLS(req) {
		t.Error("X-Forwarded-Proto believed from an untrusted peer")
	}
	if !r.Forwarded(req) {
		t.Error("ignored forwarding headers not reported")
	}
	req.TLS = &tls.ConnectionState{}
	if !r.TLS(req) {
		t.Error("direct TLS not seen")
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "10.0.0.1/8", want: []string{"10.0.0.0/8"}},
		{in: "192.168.1.5, ::1", want: []string{"192.168.1.5/32", "::1/128"}},
		{in: "10.0.0.0/33", wantErr: true},
		{in: "proxy.local", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePrefixes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%q: %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i].String() != tt.want[i] {
				t.Errorf("%q: %v, want %v", tt.in, got, tt.want)
			}
		}
	}
}
