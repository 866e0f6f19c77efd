package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
)

// A broker_only need with words, a sector and an enterprise found nowhere else, and a result that
// answers it, so that every path that could show the need has a reason to.
var (
	secretNeed = &corpus.Need{ID: "nc-kin", Kind: corpus.KindNeed,
		Title:       "Cần dây chuyền chưng cất tinh dầu quế xuất khẩu",
		Description: "Chưng cất tinh dầu quế từ vỏ và lá quế, đạt chuẩn xuất khẩu, giữ hàm lượng cinnamaldehyd, tiết kiệm củi.",
		Enterprise:  "Công ty Quế Kín Tiếng", Contact: "0912 000 111",
		Sectors: []string{"0210"}, Confidentiality: corpus.ConfBrokerOnly}
	cinnamonResult = &corpus.Result{ID: "kq-que", Kind: corpus.KindResult,
		Title:   "Quy trình chưng cất tinh dầu quế bằng hơi nước quy mô nông hộ",
		Summary: "Thiết bị chưng cất tinh dầu quế từ vỏ, lá quế; hiệu suất thu hồi tinh dầu và eugenol cao, tiết kiệm củi.",
		TRL:     6}
)

// withoutEcho drops from a search answer the quoted phrases it repeats back from the query (relaxed_phrases):
// what the client typed is not something the index showed.
func withoutEcho(b []byte) string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m["relaxed_phrases"] == nil {
		return string(b)
	}
	delete(m, "relaxed_phrases")
	out, _ := json.Marshal(m)
	return string(out)
}

// leaks reports what of the secret need a response shows; its id counts unless the request named it.
func leaks(body string, named bool) []string {
	var found []string
	for _, s := range []string{secretNeed.ID, "Kín Tiếng", "0912 000 111", "dây chuyền chưng cất", "cinnamaldehyd"} {
		if named && s == secretNeed.ID {
			continue
		}
		if strings.Contains(body, s) {
			found = append(found, s)
		}
	}
	return found
}

// TestBrokerOnlyNeverLeaks: each path that exists and could show a need — search (API and page, with and
// without a key), facet counts, the need's own record (API and page), result → needs (a result sent and a
// stored one), errors of writes, stats and metrics — shows nothing of a broker_only need to the public;
// the two matching paths show it to a broker key, as they must.
func TestBrokerOnlyNeverLeaks(t *testing.T) {
	ts, brokerKey := brokerSampleServer(t, secretNeed, cinnamonResult)

	q := func(v url.Values) string { return v.Encode() }
	public := []struct {
		name, method, path, body string
		key                      string
	}{
		{"search API", "GET", "/api/v1/search?" + q(url.Values{"q": {"tinh dầu quế chưng cất"}, "kind": {"need"}}), "", ""},
		{"search API, enterprise name", "GET", "/api/v1/search?" + q(url.Values{"q": {"Quế Kín Tiếng"}, "kind": {"need", "result"}}), "", ""},
		{"search API with a broker key", "GET", "/api/v1/search?" + q(url.Values{"q": {"tinh dầu quế"}, "kind": {"need"}}), "", brokerKey},
		{"search API, sector filter", "GET", "/api/v1/search?" + q(url.Values{"kind": {"need"}, "sector": {"0210"}}), "", ""},
		{"search API, unsupported query syntax", "GET", "/api/v1/search?" + q(url.Values{"q": {`id:nc-kin "Kín Tiếng"`}, "kind": {"need"}}), "", ""},
		{"suggestion for a word only the hidden need has", "GET", "/api/v1/search?" + q(url.Values{"q": {"cinnamaldehyt"}, "kind": {"need", "result"}}), "", ""},
		{"suggestion on the page", "GET", "/?" + q(url.Values{"q": {"cinnamaldehyt"}, "kind": {"need"}}), "", ""},
		{"more like this", "GET", "/api/v1/results/kq-que/similar?size=50", "", ""},
		{"result page (similar results)", "GET", "/ket-qua/kq-que", "", ""},
		{"web search page", "GET", "/?" + q(url.Values{"q": {"tinh dầu quế"}, "kind": {"need"}}), "", ""},
		{"web search page with a broker key", "GET", "/?" + q(url.Values{"q": {"Quế Kín"}, "kind": {"need"}}), "", brokerKey},
		{"need record", "GET", "/api/v1/needs/nc-kin", "", ""},
		{"need page", "GET", "/nhu-cau/nc-kin", "", ""},
		{"need asked as a result", "GET", "/api/v1/results/nc-kin", "", ""},
		{"result → needs, sent", "POST", "/api/v1/match/reverse?size=50", `{"title": "Chưng cất tinh dầu quế", "summary": "tinh dầu quế từ vỏ và lá quế"}`, ""},
		{"result → needs, stored", "GET", "/api/v1/results/kq-que/needs?size=50", "", ""},
		{"need → results", "POST", "/api/v1/match?size=50", `{"title": "Cần chưng cất tinh dầu quế"}`, ""},
		{"edit without a key", "PATCH", "/api/v1/needs/nc-kin", `{"title": "x"}`, ""},
		{"delete with a broker key", "DELETE", "/api/v1/needs/nc-kin", "", brokerKey},
		{"stats", "GET", "/api/v1/stats", "", ""},
		{"OAI-PMH records", "GET", "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc", "", ""},
		{"metrics", "GET", "/metrics", "", ""},
	}
	for _, tt := range public {
		resp, b := send(t, tt.method, ts.URL+tt.path, "", tt.key, tt.body)
		if l := leaks(withoutEcho(b), strings.Contains(tt.path, secretNeed.ID)); len(l) > 0 {
			t.Errorf("%s: %d shows %v", tt.name, resp.StatusCode, l)
		}
	}

	// A hidden need is answered exactly like one that does not exist, on every path that names it.
	same := []struct{ name, method, hidden, missing, key string }{
		{"need record", "GET", "/api/v1/needs/nc-kin", "/api/v1/needs/nc-khong", ""},
		{"need page", "GET", "/nhu-cau/nc-kin", "/nhu-cau/nc-khong", ""},
		{"edit without a key", "PATCH", "/api/v1/needs/nc-kin", "/api/v1/needs/nc-khong", ""},
		{"delete with a broker key", "DELETE", "/api/v1/needs/nc-kin", "/api/v1/needs/nc-khong", brokerKey},
		{"need status without a key", "GET", "/api/v1/needs/nc-kin/status", "/api/v1/needs/nc-khong/status", ""},
		{"need alerts without a key", "GET", "/api/v1/needs/nc-kin/alerts", "/api/v1/needs/nc-khong/alerts", ""},
		{"need feed by its id", "GET", "/feeds/needs/nc-kin.atom", "/feeds/needs/nc-khong.atom", ""},
		{"follow link by its id", "GET", "/api/v1/intake/status/nc-kin", "/api/v1/intake/status/nc-khong", ""},
		{"follow page by its id", "GET", "/nhu-cau/theo-doi/nc-kin", "/nhu-cau/theo-doi/nc-khong", ""},
	}
	norm := func(r *http.Response, b []byte, id string) string {
		return strings.NewReplacer(id, "ID", r.Header.Get("X-Request-Id"), "RID").Replace(string(b))
	}
	for _, tt := range same {
		r1, b1 := send(t, tt.method, ts.URL+tt.hidden, "", tt.key, "")
		r2, b2 := send(t, tt.method, ts.URL+tt.missing, "", tt.key, "")
		if r1.StatusCode != r2.StatusCode || norm(r1, b1, "nc-kin") != norm(r2, b2, "nc-khong") {
			t.Errorf("%s: a hidden need (%d) is answered differently from a missing one (%d):\n%s\n%s",
				tt.name, r1.StatusCode, r2.StatusCode, b1, b2)
		}
	}

	// Facet counts count only what the public may see: every need facet agrees with the visible needs.
	_, b := send(t, "GET", ts.URL+"/api/v1/search?kind=need&size=1", "", "", "")
	var res apiSearch
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	visible, bySector := visibleNeeds(t)
	if res.Total != uint64(visible) {
		t.Errorf("total of needs %d, want the %d visible ones", res.Total, visible)
	}
	for _, f := range res.Facets[indexer.FacetSector] {
		if f.Count != bySector[f.Value] {
			t.Errorf("sector facet %s counts %d needs, %d are visible", f.Value, f.Count, bySector[f.Value])
		}
	}

	// Suggestions work for a public word, so the hidden need's word had one to withhold.
	_, b = send(t, "GET", ts.URL+"/api/v1/search?"+q(url.Values{"q": {"eugenoll"}}), "", "", "")
	if !strings.Contains(string(b), `"suggestion":"eugenol"`) {
		t.Errorf("no suggestion for a misspelt public word: %s", b)
	}

	// The matching paths do show it to a broker, so the paths above had it to hide.
	for _, p := range []struct{ method, path, body string }{
		{"POST", "/api/v1/match/reverse?size=50", `{"title": "Chưng cất tinh dầu quế", "summary": "tinh dầu quế từ vỏ và lá quế"}`},
		{"GET", "/api/v1/results/kq-que/needs?size=50", ""},
	} {
		if _, b := send(t, p.method, ts.URL+p.path, "", brokerKey, p.body); !strings.Contains(string(b), `"id":"nc-kin"`) {
			t.Errorf("%s %s with a broker key does not find the broker_only need: %s", p.method, p.path, b)
		}
	}
}

// brokerSampleServer is sampleServerWith with a broker key.
func brokerSampleServer(t *testing.T, more ...corpus.Record) (*httptest.Server, string) {
	t.Helper()
	ts, _, brokerKey := brokerStoreServer(t, more...)
	return ts, brokerKey
}

// brokerStoreServer is brokerSampleServer and its store.
func brokerStoreServer(t *testing.T, more ...corpus.Record) (*httptest.Server, *corpus.Store, string) {
	t.Helper()
	keys := corpus.OpenKeyring(t.TempDir())
	brokerKey, _, err := keys.Create("Môi giới", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Keys = keys
	ts, st := sampleStoreServer(t, cfg, more...)
	return ts, st, brokerKey
}

// visibleNeeds counts the needs the public may see in sampleServerWith's corpus, and by sector: public or
// anonymised, and still sought (the sample's needs are published; some are past their deadline).
func visibleNeeds(t *testing.T) (int, map[string]int) {
	t.Helper()
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	n, by := 1, map[string]int{} // the anonymised need nc-an of sampleServer, without sectors
	for _, r := range recs {
		if need, ok := r.(*corpus.Need); ok && need.EffectiveConfidentiality() != corpus.ConfBrokerOnly &&
			!corpus.DeadlinePassed(need.Deadline, time.Now()) {
			n++
			seen := map[string]bool{} // the facet counts a need once under every level of its codes
			for _, s := range need.Sectors {
				for _, a := range corpus.SectorAncestors(s) {
					if !seen[a] {
						seen[a] = true
						by[a]++
					}
				}
			}
		}
	}
	return n, by
}
