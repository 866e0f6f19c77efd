package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
)

// openNeeds counts the needs of the store that a batch run now must cover, without and with the
// broker-only ones.
func openNeeds(t *testing.T, st *corpus.Store) (public, all, total int) {
	t.Helper()
	states, err := st.NeedStates(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = st.Each(func(e *corpus.Entry) error {
		if e.Kind != corpus.KindNeed {
			return nil
		}
		total++
		rec, _ := e.Decode()
		if n := rec.(*corpus.Need); corpus.NeedOpen(states[n.ID]) {
			all++
			if n.EffectiveConfidentiality() != corpus.ConfBrokerOnly {
				public++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return public, all, total
}

func TestBatchJSON(t *testing.T) {
	e := newBrokerEnv(t)
	public, all, total := openNeeds(t, e.st)
	// A decision made before the batch shows on its pair.
	ms := e.topMatches(t, "nc-mo", "")
	if code, b, _ := e.do(t, "POST", "/api/v1/match/feedback", e.broker,
		`{"need_id": "nc-mo", "result_id": "`+ms[0].ID+`", "decision": "reject", "reason": "already_known"}`); code != http.StatusCreated {
		t.Fatalf("feedback: %d %s", code, b)
	}
	// An accepted match makes the need matched: still sought, so still in the batch, marked.
	if code, b, _ := e.do(t, "POST", "/api/v1/match/feedback", e.broker,
		`{"need_id": "nc-mo", "result_id": "`+ms[1].ID+`", "decision": "accept", "reason": "partial_fit"}`); code != http.StatusCreated {
		t.Fatalf("feedback: %d %s", code, b)
	}
	for _, tc := range []struct {
		query    string
		key      string
		needs    int
		withMat  bool
		minScore float64
	}{
		{"size=3", e.broker, public, false, 0},
		{"size=3&confidential=1", e.staff, all, true, 0},
		{"size=5&min_score=0,5", e.broker, public, false, 0.5},
	} {
		code, b, _ := e.do(t, "GET", "/api/v1/match/batch?"+tc.query, tc.key, "")
		var r BatchReport
		if code != http.StatusOK || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: %d %s", tc.query, code, b)
		}
		if r.OpenNeeds != tc.needs || len(r.Needs) != tc.needs || r.OpenNeeds+r.SkippedNeeds+r.HiddenNeeds != total || r.SkippedNeeds == 0 {
			t.Errorf("%s: %d open (%d listed), %d skipped, %d hidden; want %d open of %d", tc.query, r.OpenNeeds, len(r.Needs), r.SkippedNeeds, r.HiddenNeeds, tc.needs, total)
		}
		ids := map[string]BatchNeed{}
		matches := 0
		for _, n := range r.Needs {
			ids[n.ID] = n
			matches += len(n.Matches)
			if len(n.Matches) > r.Size {
				t.Errorf("%s: need %s has %d matches, size %d", tc.query, n.ID, len(n.Matches), r.Size)
			}
			for i, m := range n.Matches {
				if m.Score < tc.minScore || (i > 0 && m.Score > n.Matches[i-1].Score) || len(m.Reasons) == 0 {
					t.Errorf("%s: need %s match %d: score %v, reasons %v", tc.query, n.ID, i, m.Score, m.Reasons)
				}
			}
		}
		if matches != r.MatchCount || matches == 0 {
			t.Errorf("%s: match_count %d, counted %d", tc.query, r.MatchCount, matches)
		}
		if _, ok := ids["nc-het-han"]; ok {
			t.Errorf("%s: expired need in the batch", tc.query)
		}
		if n, ok := ids["nc-an"]; !ok || n.Enterprise != "" {
			t.Errorf("%s: anonymised need: %+v (present %v)", tc.query, n.Enterprise, ok)
		}
		if n, ok := ids["nc-mat"]; ok != tc.withMat || (ok && n.Enterprise != "Công ty Bí Mật") {
			t.Errorf("%s: broker-only need present %v, want %v", tc.query, ok, tc.withMat)
		}
		mo := ids["nc-mo"]
		if mo.State != corpus.NeedMatched {
			t.Errorf("%s: nc-mo state %q, want matched", tc.query, mo.State)
		}
		if tc.minScore == 0 && (len(mo.Matches) == 0 || mo.Matches[0].Feedback == nil || mo.Matches[0].Feedback.Reason != "already_known") {
			t.Errorf("%s: the decision on nc-mo's top match is not shown: %+v", tc.query, mo.Matches)
		}
	}
}

func TestBatchCSVAndHTML(t *testing.T) {
	e := newBrokerEnv(t)
	public, _, _ := openNeeds(t, e.st)

	code, b, h := e.do(t, "GET", "/api/v1/match/batch?format=csv&size=3", e.broker, "")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "ghep-noi-") {
		t.Fatalf("csv: %d %v", code, h)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("csv without a byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "Mã nhu cầu" || rows[0][8] != "Thành phần nổi bật" {
		t.Errorf("header: %v", rows[0])
	}
	needs := map[string]int{}
	for _, r := range rows[1:] {
		needs[r[0]]++
		if r[3] == "" {
			continue // a need without matches
		}
		if r[4] == "" || r[7] == "" || !strings.Contains(r[8], "%") || r[9] == "" {
			t.Errorf("row without its match: %v", r)
		}
		if r[0] == "nc-an" && r[2] != "(ẩn danh)" {
			t.Errorf("anonymised need shows %q", r[2])
		}
	}
	if len(needs) != public || needs["nc-mat"] > 0 || needs["nc-het-han"] > 0 {
		t.Errorf("csv covers %d needs, want %d open public ones", len(needs), public)
	}
	if strings.Contains(string(b), "Công ty Ẩn Danh") || strings.Contains(string(b), "Công ty Bí Mật") {
		t.Error("csv leaks a hidden enterprise")
	}

	code, b, h = e.do(t, "GET", "/api/v1/match/batch?format=html&size=3", e.broker, "")
	page := string(b)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("html: %d %v", code, h)
	}
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") ||
		strings.Contains(page, "<b>đều</b>") {
		t.Error("need text is not escaped in the report")
	}
	if n := len(regexp.MustCompile(`<section class="need"`).FindAllString(page, -1)); n != public {
		t.Errorf("%d need sections, want %d", n, public)
	}
	for _, want := range []string{"break-before: page", "nhu cầu đang mở", "Doanh nghiệp ẩn danh", "Điểm 0,", `class="bar"`, "nội dung văn bản", "<li>"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(page, "Công ty Ẩn Danh") || strings.Contains(page, "Công ty Bí Mật") {
		t.Error("report leaks a hidden enterprise")
	}
}

func TestBatchRefusals(t *testing.T) {
	e := newBrokerEnv(t)
	for _, tc := range []struct{ query, code string }{
		{"format=xml", "bad_format"},
		{"size=0", "bad_size"},
		{"size=101", "bad_size"},
		{"min_score=2", "bad_min_score"},
		{"min_score=cao", "bad_min_score"},
		{"min_score=NaN", "bad_min_score"},
		{"min_score=-Inf", "bad_min_score"},
		{"confidential=co", "bad_confidential"},
	} {
		code, b, _ := e.do(t, "GET", "/api/v1/match/batch?"+tc.query, e.broker, "")
		var ae APIError
		if json.Unmarshal(b, &ae); code != http.StatusBadRequest || ae.Code != tc.code || ae.Message == "" {
			t.Errorf("%s: %d %s", tc.query, code, b)
		}
	}
	// One batch at a time.
	e.srv.batch <- struct{}{}
	code, b, h := e.do(t, "GET", "/api/v1/match/batch", e.broker, "")
	<-e.srv.batch
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "batch_busy") || h.Get("Retry-After") == "" {
		t.Errorf("second batch at once: %d %s", code, b)
	}
}
