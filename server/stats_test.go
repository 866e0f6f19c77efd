package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// TestStatsChartsCountEveryResult: results that state no year or no TRL have a "not stated" bar in the
// year, TRL and trend charts, so each chart's table adds up to the results the page names, and the JSON
// says the same as the page.
func TestStatsChartsCountEveryResult(t *testing.T) {
	extra := []corpus.Record{
		&corpus.Result{ID: "kq-khong-nam", Kind: corpus.KindResult, Title: "Máy sấy không ghi năm", TRL: 5, FieldCodes: []string{"402"}},
		&corpus.Result{ID: "kq-khong-gi", Kind: corpus.KindResult, Title: "Quy trình không ghi năm và TRL"},
	}
	srv, _ := storeServer(t, DefaultConfig(), extra)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	var r market.Report
	if code, body, _ := get(t, ts.URL+"/api/v1/stats/market"); code != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Fatalf("stats/market: %d %.300s", code, body)
	}
	var all struct {
		WithoutYear int `json:"results_without_year"`
	}
	if code, body, _ := get(t, ts.URL+"/api/v1/stats"); code != http.StatusOK || json.Unmarshal(body, &all) != nil || all.WithoutYear != 2 {
		t.Errorf("/api/v1/stats: %d results without a year, want 2", all.WithoutYear)
	}
	_, page, _ := get(t, ts.URL+"/thong-ke")
	rowRe := regexp.MustCompile(`<tr data-key="([^"]*)"><th scope="row">([^<]*)</th>((?:<td data-n="\d+">\d+</td>)+)`)
	numRe := regexp.MustCompile(`data-n="(\d+)"`)
	for _, tc := range []struct {
		stat      string
		json      []market.Count
		notStated int
	}{
		{"results_by_year", r.ByYear, 2},
		{"results_by_trl", r.ByTRL, 1 + 35}, // the sample has 35 results without a TRL
		{"results_by_field_and_year", nil, 2},
	} {
		t.Run(tc.stat, func(t *testing.T) {
			i := bytes.Index(page, []byte(`data-stat="`+tc.stat+`"`))
			if i < 0 {
				t.Fatal("no table")
			}
			table := page[i:]
			table = table[:bytes.Index(table, []byte("</table>"))]
			chart := page[:i]
			chart = chart[bytes.LastIndex(chart, []byte(`<svg class="chart"`)):]
			sum, rows := 0, rowRe.FindAllSubmatch(table, -1)
			for _, row := range rows {
				key, n := string(row[1]), 0
				for _, m := range numRe.FindAllSubmatch(row[3], -1) {
					v, _ := strconv.Atoi(string(m[1]))
					n += v
				}
				sum += n
				if tc.json != nil && countIn(tc.json, key) != n {
					t.Errorf("row %q: %d on the page, %d in the JSON", key, n, countIn(tc.json, key))
				}
			}
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			last := rows[len(rows)-1]
			if string(last[1]) != "" || string(last[2]) != market.NotStated || !bytes.Contains(chart, []byte(">"+market.NotStated+"</text>")) {
				t.Errorf("last row %q %q, want the results that state none, in the chart too", last[1], last[2])
			}
			if tc.stat == "results_by_field_and_year" {
				return // a result of two fields counts in both
			}
			if sum != r.Results {
				t.Errorf("the table adds up to %d, %d results", sum, r.Results)
			}
			if n := countIn(tc.json, ""); n != tc.notStated {
				t.Errorf("%d not stated, want %d", n, tc.notStated)
			}
		})
	}
}
