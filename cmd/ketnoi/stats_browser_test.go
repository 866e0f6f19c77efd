package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ketnoi/indexer"
	"ketnoi/internal/browsertest"
	"ketnoi/market"
	"ketnoi/server"
)

// pageTables reads every statistics table of the page as Chromium rendered it: table → row key → the
// numbers of the row's data-n cells (percentages and notes are not counts, so they are left out).
const pageTables = `(() => {
	const out = {};
	for (const t of document.querySelectorAll("table[data-stat]")) {
		const rows = {};
		for (const tr of t.querySelectorAll("tbody tr[data-key]")) {
			rows[tr.dataset.key] = [...tr.querySelectorAll("td[data-n]")].map(td => td.dataset.n).filter(v => /^[0-9]+$/.test(v)).map(Number);
		}
		out[t.dataset.stat] = rows;
	}
	return out;
})()`

// reportTables is the same shape computed from `ketnoi stats --json`.
func reportTables(r *market.Report) map[string]map[string][]int {
	out := map[string]map[string][]int{}
	counts := func(name string, cs []market.Count) {
		out[name] = map[string][]int{}
		for _, c := range cs {
			out[name][c.Key] = []int{c.Count}
		}
	}
	counts("results_by_field", r.ByField)
	counts("needs_by_field", r.NeedsByField)
	counts("results_by_year", r.ByYear)
	counts("results_by_trl", r.ByTRL)
	counts("results_by_ip_status", r.ByIPStatus)
	counts("results_by_locality", r.ByLocality)
	counts("needs_by_locality", r.NeedsByLocality)
	counts("results_by_organization", r.ByOrganization)
	out["results_by_field_and_year"] = map[string][]int{}
	years, trend := server.TrendTable(r)
	for i, y := range years {
		out["results_by_field_and_year"][y] = trend[i]
	}
	out["sectors"] = map[string][]int{}
	for _, s := range r.Sectors {
		out["sectors"][s.Key] = []int{s.Needs, s.Results}
	}
	out["years"] = map[string][]int{}
	for _, y := range append(r.Years, r.Total) {
		k := strconv.Itoa(y.Year)
		if y.Year == 0 {
			k = "total"
		}
		out["years"][k] = []int{y.ResultsDigitised, y.Documents, y.Pages, y.NeedsRegistered, y.MatchesProposed, y.MatchesAccepted}
	}
	return out
}

func statsJSON(t *testing.T, data string) *market.Report {
	t.Helper()
	code, out, errOut := ketnoi(t, "stats", "--json", "--data", data)
	if code != 0 {
		t.Fatalf("stats --json: %d %s", code, errOut)
	}
	var s indexer.Stats
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Market == nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	return s.Market
}

// TestStatsPageInBrowserAgreesWithCLI: the server seeds the sample, a broker accepts one match and rejects
// another, a broker enters a need; the statistics page renders in headless Chromium, with a chart and a
// table per figure, and every number of its tables is the number `ketnoi stats --json` prints — through
// the running server, and read from the data directory once the server has stopped.
func TestStatsPageInBrowserAgreesWithCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	srv, u := startServe(t, bin, data)
	u = strings.TrimSuffix(u, "/")
	key := createKey(t, bin, data, "broker")
	post := func(path, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", u+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
	}
	post("/api/v1/match/feedback", `{"need_id":"nc-001","result_id":"kq-ts-001","decision":"accept","reason":"good_fit"}`, http.StatusCreated)
	post("/api/v1/match/feedback", `{"need_id":"nc-001","result_id":"kq-ts-002","decision":"reject","reason":"price"}`, http.StatusCreated)
	post("/api/v1/needs", `{"kind":"need","title":"Cần máy phân loại hạt điều theo màu","description":"Phân loại nhân điều trắng, vàng, sém cho xưởng nhỏ.","sectors":["10"],"field_codes":["402"],"enterprise":"Cơ sở Điều Tây Sơn","contact":"Anh Ba, 0912 000 111","confidentiality":"public"}`, http.StatusCreated)

	viaServer := statsJSON(t, data)
	if viaServer.Total.MatchesAccepted < 1 || viaServer.Total.MatchesProposed < 2 || viaServer.Total.NeedsRegistered != viaServer.Needs+1 {
		t.Errorf("indicators %+v: want ≥1 accepted, ≥2 proposed, needs registered = %d records + 1 waiting", viaServer.Total, viaServer.Needs)
	}

	ctx := browsertest.Start(t)
	browsertest.Navigate(t, ctx, u+"/thong-ke")
	browsertest.WaitVisible(t, ctx, "#sectors svg")
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("figure.stat svg[role=img] title").length`); n < 10 {
		t.Errorf("%d charts with a title, want one per figure", n)
	}
	if n := browsertest.Eval[int](t, ctx, `[...document.querySelectorAll("figure.stat")].filter(f => f.querySelector("svg") && !f.querySelector("table")).length`); n != 0 {
		t.Errorf("%d charts without a table of their numbers", n)
	}
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("script").length`); n != 0 {
		t.Errorf("the statistics page has %d scripts, want none", n)
	}
	page := browsertest.Eval[map[string]map[string][]int](t, ctx, pageTables)
	compareTables(t, "page vs stats --json through the server", page, reportTables(viaServer))

	// ketnoi export goes through the running server with a staff key.
	staffKey := createKey(t, bin, data, "staff")
	out := filepath.Join(t.TempDir(), "nhu-cau.jsonl")
	if code, _, errOut := ketnoi(t, "export", "--data", data, "--kind", "need", "--key", staffKey, out); code != 0 {
		t.Fatalf("export through the server: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(out); strings.Count(string(b), "\n") != viaServer.Needs {
		t.Errorf("export through the server: %d lines for %d needs", strings.Count(string(b), "\n"), viaServer.Needs)
	}
	if code, _, errOut := ketnoi(t, "export", "--data", data, "--kind", "need", "--key", key, out); code == 0 || !strings.Contains(errOut, "403") && !strings.Contains(errOut, "quyền") {
		t.Errorf("export with a broker key: %d %q", code, errOut)
	}

	srv.Process.Kill()
	srv.Wait()
	offline := statsJSON(t, data)
	compareTables(t, "page vs stats --json on the data directory", page, reportTables(offline))
}

func compareTables(t *testing.T, what string, got, want map[string]map[string][]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d tables, want %d", what, len(got), len(want))
	}
	for name, rows := range want {
		if len(got[name]) != len(rows) {
			t.Errorf("%s: table %s has %d rows, want %d", what, name, len(got[name]), len(rows))
		}
		for k, nums := range rows {
			if g := got[name][k]; !slices.Equal(g, nums) {
				t.Errorf("%s: %s[%q] = %v, want %v", what, name, k, g, nums)
			}
		}
	}
}
