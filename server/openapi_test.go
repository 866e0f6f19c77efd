package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes: the description is valid JSON, served, and names exactly the API routes the
// server has, with their methods.
func TestOpenAPICoversRoutes(t *testing.T) {
	var spec struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Errorf("openapi %q", spec.OpenAPI)
	}
	s := New(DefaultConfig(), nil, nil, nil, nil)
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range s.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/readyz" {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		key := strings.ToLower(r.Method) + " " + p
		served[key] = true
		if _, ok := spec.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, p)
		}
	}
	for p, ops := range spec.Paths {
		for m := range ops {
			if !served[m+" "+p] {
				t.Errorf("openapi.json describes %s %s, which the server does not have", strings.ToUpper(m), p)
			}
		}
	}
	ts := newTestServer(t)
	code, b, h := get(t, ts.URL+"/api/v1/openapi.json")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || len(b) != len(openAPI) {
		t.Errorf("GET /api/v1/openapi.json: %d %q %d bytes", code, h.Get("Content-Type"), len(b))
	}
}
