package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Máy sấy cá cơm", "Máy sấy cá cơm"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://x.example","Xem")`, `'=HYPERLINK("http://x.example","Xem")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-5", "-5"},
		{"+84", "+84"},
		{"-1.5", "-1.5"},
		{"3,25", "3,25"},
		{"-", "'-"},
		{"- gạch đầu dòng", "'- gạch đầu dòng"},
		{"a=b", "a=b"},
		{"1e5", "1e5"},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterNeutralisesEveryCell(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rows := [][]string{{"id", "title", "score"}, {"kq-1", "=cmd()", "-0.5"}, {"@x", "bình thường", "+1+1"}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"id", "title", "score"}, {"kq-1", "'=cmd()", "-0.5"}, {"'@x", "bình thường", "'+1+1"}}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d cell %d: %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
	if rows[1][1] != "=cmd()" {
		t.Error("the caller's record was changed")
	}
}

// TestPlainUndoesCell: a cell read back from an export is the text that was written; a quote a person
// typed before ordinary text stays. (A text that itself starts with a quote and a formula sign, "'=x",
// comes back as "=x", as a spreadsheet shows it.)
func TestPlainUndoesCell(t *testing.T) {
	for _, s := range []string{"=SUM(A1)", "@cmd", "+84 912", "-5", "Máy sấy", "'trích dẫn'", "", "'", "\t=1"} {
		if got := Plain(Cell(s)); got != s {
			t.Errorf("Plain(Cell(%q)) = %q", s, got)
		}
	}
	for s, want := range map[string]string{"'abc": "'abc", "'=1": "=1", "'-5": "'-5"} {
		if got := Plain(s); got != want {
			t.Errorf("Plain(%q) = %q, want %q", s, got, want)
		}
	}
}
