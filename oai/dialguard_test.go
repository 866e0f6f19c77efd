package oai

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNonPublicAddresses(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
	}{
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"10.1.2.3", false}, {"172.16.5.4", false}, {"192.168.1.10", false}, {"fd12:3456::1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"0.0.0.0", false}, {"::", false}, {"0.1.2.3", false},
		{"224.0.0.251", false}, {"ff02::1", false}, {"100.64.0.1", false}, {"255.255.255.255", false},
		{"64:ff9b::a00:1", false}, {"2002:7f00:1::1", false}, {"198.18.0.1", false},
		{"8.8.8.8", true}, {"203.113.131.1", true}, {"2001:4860:4860::8888", true}, {"172.32.0.1", true},
	} {
		if got := nonPublic(netip.MustParseAddr(c.addr)) == ""; got != c.public {
			t.Errorf("%s: public %v, want %v", c.addr, got, c.public)
		}
	}
}

// TestDialGuard: what a repository names by a host name that resolves to this machine ("localhost", as a
// rebinding name would) is refused at the connection, for a file link, a redirect of an allowed file to
// such a name, and the repository's own requests, unless the operator allowed the network; the refusal says
// which host and which address, in Vietnamese, and is not retried. An address staff wrote as the base URL's
// host is reached.
func TestDialGuard(t *testing.T) {
	var files, oaiHits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		port := r.Host[strings.LastIndex(r.Host, ":"):]
		switch r.URL.Path {
		case "/tep/bao-cao.pdf":
			files.Add(1)
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.7\n%%EOF\n"))
		case "/chuyen/bao-cao.pdf":
			http.Redirect(w, r, "http://localhost"+port+"/tep/bao-cao.pdf", http.StatusFound)
		case "/chuyen/oai":
			http.Redirect(w, r, "http://localhost"+port+"/oai?verb=Identify", http.StatusFound)
		default:
			oaiHits.Add(1)
			fmt.Fprint(w, hostileIdentify)
		}
	}))
	defer ts.Close()
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	named := "http://localhost" + port
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	var sleeps atomic.Int64
	noSleep := func(context.Context, time.Duration) error { sleeps.Add(1); return nil }

	fetch := func(base string, allow []netip.Prefix, link string) error {
		client := &Client{BaseURL: base, AllowNets: allow, Sleep: noSleep}
		f := &Fetcher{Client: client, Hosts: []string{"localhost"}, Timeout: 10 * time.Second}
		_, _, err := f.Fetch(context.Background(), link, t.TempDir(), "tt-1")
		return err
	}
	identify := func(base string, allow []netip.Prefix) error {
		_, _, err := (&Client{BaseURL: base, AllowNets: allow, Sleep: noSleep}).Identify(context.Background())
		return err
	}
	cases := []struct {
		name    string
		run     func() error
		refused bool
		files   int64 // requests the file server got
		oai     int64 // requests the repository got
	}{
		{"file by a name resolving to loopback", func() error { return fetch(ts.URL+"/oai", nil, named+"/tep/bao-cao.pdf") }, true, 0, 0},
		{"redirect of a file to such a name", func() error { return fetch(ts.URL+"/oai", nil, ts.URL+"/chuyen/bao-cao.pdf") }, true, 0, 0},
		{"repository by such a name", func() error { return identify(named+"/oai", nil) }, true, 0, 0},
		{"repository redirecting to such a name", func() error { return identify(ts.URL+"/chuyen/oai", nil) }, true, 0, 0},
		{"file from the base URL's own address", func() error { return fetch(ts.URL+"/oai", nil, ts.URL+"/tep/bao-cao.pdf") }, false, 1, 0},
		{"file with the network allowed", func() error { return fetch(named+"/oai", loopback, named+"/tep/bao-cao.pdf") }, false, 1, 0},
		{"redirect with the network allowed", func() error { return fetch(ts.URL+"/oai", loopback, ts.URL+"/chuyen/bao-cao.pdf") }, false, 1, 0},
		{"repository with the network allowed", func() error { return identify(named+"/oai", loopback) }, false, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files.Store(0)
			oaiHits.Store(0)
			sleeps.Store(0)
			err := c.run()
			be, refused := blocked(err)
			if refused != c.refused || (!c.refused && err != nil) {
				t.Fatalf("error %v, want refused %v", err, c.refused)
			}
			if refused && (be.Host != "localhost" || !be.Addr.IsLoopback() || !strings.Contains(err.Error(), "không kết nối tới localhost") ||
				!strings.Contains(err.Error(), "--allow-net "+be.Addr.String()) || sleeps.Load() != 0) {
				t.Errorf("refusal %q (%+v), %d retries", err, be, sleeps.Load())
			}
			if files.Load() != c.files || oaiHits.Load() != c.oai {
				t.Errorf("the file server got %d requests, the repository %d; want %d, %d", files.Load(), oaiHits.Load(), c.files, c.oai)
			}
		})
	}
}

func TestParseAllowNet(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1/32"}, {"10.0.0.0/8", "10.0.0.0/8"}, {" 192.168.1.7/24 ", "192.168.1.0/24"},
		{"::1", "::1/128"}, {"[fd00::1]", "fd00::1/128"}, {"kho.noibo", ""}, {"10.0.0.0/33", ""},
	} {
		p, err := ParseAllowNet(c.in)
		if got := p.String(); (err == nil) != (c.want != "") || err == nil && got != c.want {
			t.Errorf("%q: %s, %v; want %q", c.in, got, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: error %v", c.in, err)
		}
	}
}

// TestNoWayAroundDialGuard: nothing a caller of the harvester sets can carry connections of its own (an HTTP
// client, a transport, a dialer, a function making connections), which would skip the dial guard; a test
// or an operator reaches a non-public address only through AllowNets (--allow-net), as TestDialGuard shows.
func TestNoWayAroundDialGuard(t *testing.T) {
	carriers := []reflect.Type{reflect.TypeFor[http.Client](), reflect.TypeFor[http.Transport](),
		reflect.TypeFor[net.Dialer](), reflect.TypeFor[net.Conn](), reflect.TypeFor[net.Listener]()}
	roundTripper := reflect.TypeFor[http.RoundTripper]()
	seen := map[reflect.Type]bool{}
	// carries says how a value of type ty, reached by path, could bring connections of its own ("" if not).
	var carries func(ty reflect.Type, path string) string
	carries = func(ty reflect.Type, path string) string {
		if seen[ty] {
			return ""
		}
		seen[ty] = true
		if slices.Contains(carriers, ty) || ty.Implements(roundTripper) || reflect.PointerTo(ty).Implements(roundTripper) {
			return path + " (" + ty.String() + ")"
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
			return carries(ty.Elem(), path)
		case reflect.Map:
			if p := carries(ty.Key(), path); p != "" {
				return p
			}
			return carries(ty.Elem(), path)
		case reflect.Func:
			for i := range ty.NumIn() {
				if p := carries(ty.In(i), path); p != "" {
					return p
				}
			}
			for i := range ty.NumOut() {
				if p := carries(ty.Out(i), path); p != "" {
					return p
				}
			}
		case reflect.Interface:
			if ty.NumMethod() == 0 { // any: a caller could put anything there
				return path + " (" + ty.String() + ")"
			}
		case reflect.Struct:
			for i := range ty.NumField() {
				if f := ty.Field(i); f.IsExported() {
					if p := carries(f.Type, path+"."+f.Name); p != "" {
						return p
					}
				}
			}
		}
		return ""
	}
	for _, ty := range []reflect.Type{reflect.TypeFor[Client](), reflect.TypeFor[Fetcher]()} {
		if p := carries(ty, ty.Name()); p != "" {
			t.Errorf("a caller can set %s, which connects without the dial guard", p)
		}
	}
}
