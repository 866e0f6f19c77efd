package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// TestMatchWithoutSearchableWord: a need or a result whose text has no word to search by (function words,
// punctuation, numbers) gets no matches on every matching route, and the answer says why, in the same
// shape as any other; batch matching says it for that need in the JSON, the CSV and the printed report.
func TestMatchWithoutSearchableWord(t *testing.T) {
	ts, broker := brokerSampleServer(t,
		&corpus.Need{ID: "nc-rong", Kind: corpus.KindNeed, Title: "Cần các và của những, 2024!", Deadline: "2999-12-31"},
		&corpus.Result{ID: "kq-rong", Kind: corpus.KindResult, Title: "Về các và của", Summary: "2023 – 2024."})

	type answer struct {
		Matches []json.RawMessage `json:"matches"`
		Note    *noteJSON         `json:"note"`
	}
	for _, tc := range []struct {
		name, method, path, body string
		note                     string // the message's start; "" for an ordinary answer
	}{
		{"need", "POST", "/api/v1/match", `{"title": "Cần các và của những"}`, "Nhu cầu không có từ nào để tìm"},
		{"need of numbers", "POST", "/api/v1/match", `{"title": "2024", "description": "30–40 ... 123"}`, "Nhu cầu không có từ nào để tìm"},
		{"stored need", "POST", "/api/v1/match", `{"id": "nc-rong", "title": "Cần các và của những, 2024!"}`, "Nhu cầu không có từ nào để tìm"},
		{"result sent", "POST", "/api/v1/match/reverse", `{"title": "Về các, của!"}`, "Kết quả không có từ nào để tìm"},
		{"result stored", "GET", "/api/v1/results/kq-rong/needs", "", "Kết quả không có từ nào để tìm"},
		{"an ordinary need", "POST", "/api/v1/match", `{"title": "Cần máy sấy cá cơm 2024"}`, ""},
		{"an ordinary result", "GET", "/api/v1/results/kq-ts-050/needs", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := call(t, tc.method, ts.URL+tc.path, "", "application/json", strings.NewReader(tc.body))
			var a answer
			if code != http.StatusOK || json.Unmarshal(b, &a) != nil || a.Matches == nil {
				t.Fatalf("%d %s", code, b)
			}
			if tc.note == "" {
				if a.Note != nil || len(a.Matches) == 0 {
					t.Errorf("%d matches, note %+v; want matches and no note", len(a.Matches), a.Note)
				}
				return
			}
			if len(a.Matches) != 0 {
				t.Errorf("%d matches, want none", len(a.Matches))
			}
			if a.Note == nil || a.Note.Code != matcher.NoteNoTerms || !strings.HasPrefix(a.Note.Message, tc.note) {
				t.Errorf("note %+v, want %s: %q…", a.Note, matcher.NoteNoTerms, tc.note)
			}
		})
	}

	code, b, _ := call(t, "GET", ts.URL+"/api/v1/match/batch?format=json", broker, "", nil)
	var r BatchReport
	if code != http.StatusOK || json.Unmarshal(b, &r) != nil {
		t.Fatalf("batch: %d %s", code, b)
	}
	found := false
	for _, n := range r.Needs {
		switch {
		case n.ID == "nc-rong":
			found = true
			if len(n.Matches) != 0 || n.Note == nil || n.Note.Code != matcher.NoteNoTerms {
				t.Errorf("batch, nc-rong: %d matches, note %+v", len(n.Matches), n.Note)
			}
		case n.Note != nil:
			t.Errorf("batch, %s: note %+v on an ordinary need", n.ID, n.Note)
		}
	}
	if !found {
		t.Fatal("batch: nc-rong is not among the open needs")
	}
	code, b, _ = call(t, "GET", ts.URL+"/api/v1/match/batch?format=csv", broker, "", nil)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if code != http.StatusOK || err != nil {
		t.Fatalf("batch csv: %d %v", code, err)
	}
	var row []string
	for _, x := range rows {
		if x[0] == "nc-rong" {
			row = x
		}
	}
	if row == nil || row[4] != "" || !strings.Contains(strings.Join(row, "|"), "Nhu cầu không có từ nào để tìm") {
		t.Errorf("batch csv, nc-rong: %q", row)
	}
	code, b, _ = call(t, "GET", ts.URL+"/api/v1/match/batch?format=html", broker, "", nil)
	page := string(b)
	i := strings.Index(page, "Cần các và của những, 2024!</h2>")
	if code != http.StatusOK || i < 0 {
		t.Fatalf("batch html: %d, no page for nc-rong", code)
	}
	if section := page[i:]; !strings.Contains(section[:min(len(section), 2000)], "Nhu cầu không có từ nào để tìm") {
		t.Errorf("batch html: nc-rong's page does not say why it has no match: %.2000s", section)
	}
}
