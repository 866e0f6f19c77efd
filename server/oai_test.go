package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ketnoi/internal/corpustest"
)

// TestOAIRoute: /oai answers the same by GET and by POST form, as XML, with the base URL of the request
// (or the configured public URL); an OAI POST is a read and leaves nothing in the audit log.
func TestOAIRoute(t *testing.T) {
	for _, c := range []struct {
		name, public, wantBase string
	}{
		{"request host", "", ""},
		{"public URL", "https://ketnoi.gialai.example.vn", "https://ketnoi.gialai.example.vn/oai"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.PublicURL = c.public
			ts, dir := oaiServer(t, cfg)
			want := c.wantBase
			if want == "" {
				want = ts.URL + "/oai"
			}
			q := url.Values{"verb": {"GetRecord"}, "metadataPrefix": {"oai_dc"}, "identifier": {"oai:" + host(t, want) + ":kq-ts-001"}}
			code, got, h := get(t, ts.URL+"/oai?"+q.Encode())
			if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/xml") {
				t.Fatalf("GET: %d %q", code, h.Get("Content-Type"))
			}
			resp, err := http.PostForm(ts.URL+"/oai", q)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			posted, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			dates := regexp.MustCompile(`<responseDate>[^<]*</responseDate>`)
			a, b := dates.ReplaceAllString(string(got), ""), dates.ReplaceAllString(string(posted), "")
			if a != b {
				t.Errorf("GET and POST differ:\n%s\n%s", a, b)
			}
			if !strings.Contains(a, ">"+want+"</request>") || !strings.Contains(a, "<dc:title>") || strings.Contains(a, "<error") {
				t.Errorf("response:\n%s", a)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "audit.log")); err != nil || strings.Contains(string(b), "/oai") {
				t.Errorf("an OAI-PMH POST went into the audit log")
			}
		})
	}
}

// oaiServer is a server over a store with the sample corpus: the OAI-PMH route needs no index.
func oaiServer(t *testing.T, cfg Config) (*httptest.Server, string) {
	t.Helper()
	dir, st := corpustest.SampleStore(t)
	ts := httptest.NewServer(New(cfg, nil, st, nil, nil).Handler())
	t.Cleanup(ts.Close)
	return ts, dir
}

func host(t *testing.T, u string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Hostname()
}

// TestOAIPostTooLarge: a POST form over the body limit is refused as too large (413), whether its size is
// announced or not, not as a body that is not a form.
func TestOAIPostTooLarge(t *testing.T) {
	ts, _ := oaiServer(t, DefaultConfig())
	form := "verb=Identify&x=" + strings.Repeat("a", 2<<20)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(form)
		if chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/oai", body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked %v: %d, want 413", chunked, resp.StatusCode)
		}
	}
}
