package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/market"
)

// TestStatsMarketAPI: the JSON and the CSV carry the same figures, the page escapes what records hold, a
// bad format gets the one error shape, and /api/v1/stats carries the report too.
func TestStatsMarketAPI(t *testing.T) {
	// An organisation with markup and a spreadsheet formula, large enough to be in the top 20.
	const org = `=cmd|' /C calc'!A0 <script>alert("x")</script>`
	var extra []corpus.Record
	for i := range 40 {
		extra = append(extra, &corpus.Result{ID: "kq-org-" + strconv.Itoa(i), Kind: corpus.KindResult, Title: "Máy thử", Organization: org})
	}
	srv, _ := storeServer(t, DefaultConfig(), extra)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	code, body, _ := get(t, ts.URL+"/api/v1/stats/market")
	var r market.Report
	if code != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Results == 0 {
		t.Fatalf("stats/market: %d %.300s", code, body)
	}
	var all struct{ Market market.Report }
	if code, body, _ := get(t, ts.URL+"/api/v1/stats"); code != http.StatusOK || json.Unmarshal(body, &all) != nil || all.Market.Results != r.Results {
		t.Errorf("/api/v1/stats market: %d results, want %d", all.Market.Results, r.Results)
	}

	code, body, h := get(t, ts.URL+"/api/v1/stats/market?format=csv")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Fatalf("csv: %d %s", code, h.Get("Content-Type"))
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	csvVal := map[string]string{}
	for _, row := range rows[1:] {
		csvVal[row[0]+"|"+row[1]+"|"+row[3]] = row[4]
		if strings.HasPrefix(row[1], "=") || strings.HasPrefix(row[2], "=") {
			t.Errorf("formula left live in CSV: %q", row[2])
		}
	}
	for _, c := range []struct {
		key  string
		want int
	}{
		{"years|total|Kết quả số hoá", r.Total.ResultsDigitised},
		{"years|total|Nhu cầu đăng ký", r.Total.NeedsRegistered},
		{"results_by_field|" + r.ByField[0].Key + "|Số lượng", r.ByField[0].Count},
		{"sectors|" + r.Sectors[0].Key + "|Nhu cầu đang mở", r.Sectors[0].Needs},
		{"sectors|" + r.Sectors[0].Key + "|Kết quả", r.Sectors[0].Results},
		{"results_by_organization|'" + org + "|Số lượng", countIn(r.ByOrganization, org)},
	} {
		if csvVal[c.key] != strconv.Itoa(c.want) {
			t.Errorf("CSV %s = %q, JSON says %d", c.key, csvVal[c.key], c.want)
		}
	}

	code, body, _ = get(t, ts.URL+"/api/v1/stats/market?format=xml")
	if code != http.StatusBadRequest || !strings.Contains(string(body), `"code":"bad_format"`) {
		t.Errorf("format=xml: %d %s", code, body)
	}

	code, body, _ = get(t, ts.URL+"/thong-ke")
	if code != http.StatusOK || bytes.Contains(body, []byte("<script>alert")) || !bytes.Contains(body, []byte("&lt;script&gt;alert")) {
		t.Errorf("/thong-ke: %d, organisation not escaped", code)
	}
	if n := bytes.Count(body, []byte(`<svg class="chart"`)); n != bytes.Count(body, []byte(`<table class="stat-table"`)) || n < 10 {
		t.Errorf("%d charts for %d tables", n, bytes.Count(body, []byte(`<table class="stat-table"`)))
	}
}

func countIn(cs []market.Count, key string) int {
	for _, c := range cs {
		if c.Key == key {
			return c.Count
		}
	}
	return -1
}
