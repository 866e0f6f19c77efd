package server

import (
	"io"
	"net/http"
	"testing"
)

// TestHeadAnswersLikeGet: every address that answers GET answers HEAD with the same status and headers and
// no body, public or behind a key, and the connection stays usable for the next request.
func TestHeadAnswersLikeGet(t *testing.T) {
	e := newBrokerEnv(t)
	client := &http.Client{} // one keep-alive connection: a body sent after a HEAD would garble the next answer
	for _, tt := range []struct {
		name, path, key string
		want            int
	}{
		{"health", "/healthz", "", http.StatusOK},
		{"search page", "/?q=c%C3%A1", "", http.StatusOK},
		{"search API", "/api/v1/search?q=c%C3%A1", "", http.StatusOK},
		{"result", "/api/v1/results/kq-ts-001", "", http.StatusOK},
		{"results feed", resultsFeedPath, "", http.StatusOK},
		{"missing record", "/api/v1/results/khong-co", "", http.StatusNotFound},
		{"needs a key", "/api/v1/alerts", "", http.StatusUnauthorized},
		{"with a key", "/api/v1/alerts", e.broker, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			get := func(method string) (*http.Response, []byte) {
				req, _ := http.NewRequest(method, e.ts.URL+tt.path, nil)
				if tt.key != "" {
					req.Header.Set("Authorization", "Bearer "+tt.key)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", method, err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, b
			}
			head, body := get(http.MethodHead)
			full, _ := get(http.MethodGet)
			if head.StatusCode != tt.want || full.StatusCode != tt.want {
				t.Fatalf("HEAD %d, GET %d, want %d", head.StatusCode, full.StatusCode, tt.want)
			}
			if len(body) != 0 || head.Header.Get("Content-Type") != full.Header.Get("Content-Type") {
				t.Errorf("HEAD: %d bytes of body, type %q; GET type %q", len(body), head.Header.Get("Content-Type"), full.Header.Get("Content-Type"))
			}
		})
	}
}
