package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"ketnoi/corpus"
)

func TestReverseMatchConfidentiality(t *testing.T) {
	keys := corpus.OpenKeyring(t.TempDir())
	brokerKey, _, err := keys.Create("Môi giới", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	staffKey, _, err := keys.Create("Cán bộ", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Keys = keys
	ts := sampleServer(t, cfg)

	type match struct {
		ID, Kind, Organization, Confidentiality, URL string
		Score                                        float64
		Reasons                                      []string
	}
	call := func(t *testing.T, method, path, key, body string) (int, []match, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Matches []match `json:"matches"`
			Query   struct {
				Terms []string `json:"terms"`
			} `json:"query"`
		}
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK && !strings.HasSuffix(path, "/state") {
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Query.Terms) == 0 {
				t.Errorf("%s %s: no query terms in the answer", method, path)
			}
			for _, m := range out.Matches {
				if m.Kind != corpus.KindNeed || !strings.HasPrefix(m.URL, "/nhu-cau/") || len(m.Reasons) == 0 {
					t.Errorf("%s %s: match %+v is not an explained need", method, path, m)
				}
			}
		}
		return resp.StatusCode, out.Matches, raw
	}
	find := func(ms []match, id string) *match {
		for i := range ms {
			if ms[i].ID == id {
				return &ms[i]
			}
		}
		return nil
	}

	oil := `{"title": "Máy ép dầu dừa tinh khiết quy mô nhỏ", "summary": "Ép lạnh dầu dừa, lọc trong, không bị đục."}`
	code, ms, raw := call(t, http.MethodPost, "/api/v1/match/reverse?size=20", "", oil)
	if code != http.StatusOK {
		t.Fatalf("anonymous reverse: %d %s", code, raw)
	}
	an := find(ms, "nc-an")
	if an == nil {
		t.Fatalf("anonymised need nc-an not proposed for a coconut-oil press: %+v", ms)
	}
	if an.Organization != "" || an.Confidentiality != corpus.ConfAnonymised || strings.Contains(string(raw), "Công ty Ẩn Danh") {
		t.Errorf("anonymised need leaks its enterprise: %+v", an)
	}

	shell := `{"title": "Xử lý vỏ sò điệp làm vật liệu", "keywords": ["vỏ sò điệp"]}`
	_, ms, raw = call(t, http.MethodPost, "/api/v1/match/reverse", "", shell)
	if find(ms, "nc-mat") != nil || strings.Contains(string(raw), "Bí Mật") {
		t.Errorf("broker_only need shown without a key: %s", raw)
	}
	code, ms, raw = call(t, http.MethodPost, "/api/v1/match/reverse", brokerKey, shell)
	if m := find(ms, "nc-mat"); code != http.StatusOK || m == nil || m.Organization != "Công ty Bí Mật" {
		t.Errorf("broker key: want broker_only need nc-mat with its enterprise, got %d %s", code, raw)
	}

	// Needs past their deadline (nc-001: 2026-03-31) and closed needs are no longer offered.
	dryer := `{"title": "Máy sấy cá cơm, mực bằng bơm nhiệt", "keywords": ["cá cơm", "mực khô", "sấy"]}`
	_, ms, _ = call(t, http.MethodPost, "/api/v1/match/reverse", "", dryer)
	if len(ms) == 0 || find(ms, "nc-001") != nil {
		t.Fatalf("dryer → needs: want matches without the expired nc-001: %+v", ms)
	}
	open := ms[0].ID
	if code, _, raw := call(t, http.MethodPost, "/api/v1/needs/"+open+"/state", staffKey, `{"state": "closed", "reason": "Đã có đơn vị cung cấp"}`); code != http.StatusOK {
		t.Fatalf("closing %s: %d %s", open, code, raw)
	}
	if _, ms, _ = call(t, http.MethodPost, "/api/v1/match/reverse", "", dryer); find(ms, open) != nil {
		t.Errorf("closed need %s still proposed", open)
	}

	for _, tc := range []struct {
		name, method, path, key, body string
		status                        int
		code                          string
	}{
		{"wrong key", http.MethodPost, "/api/v1/match/reverse", "nope", shell, http.StatusUnauthorized, ""},
		{"not JSON", http.MethodPost, "/api/v1/match/reverse", "", "{", http.StatusBadRequest, "bad_json"},
		{"a need", http.MethodPost, "/api/v1/match/reverse", "", `{"kind": "need", "title": "x"}`, http.StatusBadRequest, "not_a_result"},
		{"no title", http.MethodPost, "/api/v1/match/reverse", "", `{"summary": "x"}`, http.StatusBadRequest, "invalid_result"},
		{"bad size", http.MethodPost, "/api/v1/match/reverse?size=0", "", shell, http.StatusBadRequest, "bad_size"},
		{"unknown result", http.MethodGet, "/api/v1/results/kq-khong-co/needs", "", "", http.StatusNotFound, "not_found"},
		{"a need id", http.MethodGet, "/api/v1/results/nc-an/needs", "", "", http.StatusNotFound, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, raw := call(t, tc.method, tc.path, tc.key, tc.body)
			var e struct{ Code, Message string }
			json.Unmarshal(raw, &e)
			if code != tc.status || (tc.code != "" && e.Code != tc.code) || e.Message == "" {
				t.Errorf("got %d %s, want %d %s", code, raw, tc.status, tc.code)
			}
		})
	}

	// A stored result: the sample's fish-sauce result finds the fish-sauce need, which is broker_only.
	_, ms, _ = call(t, http.MethodGet, "/api/v1/results/kq-ts-050/needs?size=5", "", "")
	if find(ms, "nc-006") != nil {
		t.Errorf("kq-ts-050 → needs without a key: broker_only nc-006 shown")
	}
	code, ms, raw = call(t, http.MethodGet, "/api/v1/results/kq-ts-050/needs?size=5", brokerKey, "")
	if code != http.StatusOK || find(ms, "nc-006") == nil {
		t.Errorf("kq-ts-050 (chượp nước mắm) → needs: want nc-006, got %d: %s", code, raw)
	}
}

func TestSimilarResults(t *testing.T) {
	ts := newTestServer(t)
	code, body, _ := get(t, ts.URL+"/api/v1/results/kq-ts-052/similar?size=5")
	var r apiSearch
	if code != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Fatalf("%d %s", code, body)
	}
	var got []string
	for _, h := range r.Hits {
		if h.Kind != corpus.KindResult || h.ID == "kq-ts-052" {
			t.Errorf("similar lists %s (%s)", h.ID, h.Kind)
		}
		got = append(got, h.ID)
	}
	// The solar and heat-pump anchovy dryer is like the solar fish dryer.
	if !strings.Contains(strings.Join(got, " "), "kq-cn-047") {
		t.Errorf("similar to kq-ts-052: %v, want kq-cn-047 among them", got)
	}
	code, page, _ := get(t, ts.URL+"/ket-qua/kq-ts-052")
	if code != http.StatusOK || !strings.Contains(string(page), "Kết quả tương tự") || !strings.Contains(string(page), "/ket-qua/kq-cn-047") {
		t.Errorf("result page without its similar results: %d", code)
	}
	for _, p := range []string{"/api/v1/results/nc-001/similar", "/api/v1/results/khong-co/similar"} {
		if code, _, _ := get(t, ts.URL+p); code != http.StatusNotFound {
			t.Errorf("%s: %d", p, code)
		}
	}
}
