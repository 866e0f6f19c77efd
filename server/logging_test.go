package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/internal/corpustest"
)

// TestEveryRequestLogLineHasItsRequestID: a JSON log, as `serve --log-format json` writes it; every line
// written while answering a request names the request's id, the one the client got back, and a foreign
// request id that is not an id is not echoed.
func TestEveryRequestLogLineHasItsRequestID(t *testing.T) {
	var logs syncBuffer
	dir, st, idx := corpustest.Empty(t)
	cfg := DefaultConfig()
	cfg.Keys, cfg.Users = corpus.OpenKeyring(dir), corpus.OpenUsers(dir)
	srv := New(cfg, idx, st, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	ids := map[string]bool{}
	send := func(method, path, body string, h map[string]string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if id == "" {
			t.Fatalf("%s %s: no X-Request-Id", method, path)
		}
		ids[id] = true
	}
	send("GET", "/api/v1/search?q=c%C3%A1", "", nil)
	send("GET", "/api/v1/results/khong-co", "", nil)
	send("PATCH", "/api/v1/results/khong-co", "{}", map[string]string{"Authorization": "Bearer kn_sai"})
	send("GET", "/api/v1/stats", "", map[string]string{"X-Request-Id": "id-cua-may-khach-01"})
	send("GET", "/api/v1/stats", "", map[string]string{"X-Request-Id": "<script>" + strings.Repeat("x", 100)})
	// A refused sign-in writes a warning of its own, besides the request line.
	form := url.Values{"csrf": {"x"}, "name": {"minh"}, "password": {"mật khẩu bí mật 99"}}
	send("POST", loginPath, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": loginCookie + "=x"})

	if !ids["id-cua-may-khach-01"] {
		t.Error("a client's well-formed request id was not kept")
	}
	lines := bytes.Split(bytes.TrimSpace([]byte(logs.String())), []byte("\n"))
	requests, warnings := 0, 0
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal(l, &rec); err != nil {
			t.Fatalf("not a JSON log line: %s", l)
		}
		id, _ := rec["request_id"].(string)
		if !ids[id] {
			t.Errorf("log line without the id of a request answered: %s", l)
		}
		if strings.Contains(string(l), "<script>") || strings.Contains(string(l), "mật khẩu bí mật") {
			t.Errorf("log line holds what the client sent: %s", l)
		}
		switch rec["msg"] {
		case "request":
			requests++
			if rec["route"] == nil || rec["status"] == nil || rec["latency"] == nil || rec["ip"] == nil {
				t.Errorf("request line lacks route, status, latency or ip: %s", l)
			}
		case "staff sign-in refused":
			warnings++
		}
	}
	if requests != len(ids) || warnings != 1 {
		t.Errorf("%d request lines for %d requests, %d refusal warnings; logs:\n%s", requests, len(ids), warnings, logs.String())
	}
}
