package matcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
)

func TestCodeAgreement(t *testing.T) {
	tests := []struct {
		need, res []string
		anc       func(string) []string
		want      float64
		known     bool
	}{
		{[]string{"405"}, []string{"405"}, corpus.FieldAncestors, 1, true},
		{[]string{"405"}, []string{"401"}, corpus.FieldAncestors, 0.35, true},
		{[]string{"4"}, []string{"401"}, corpus.FieldAncestors, 0.35, true},
		{[]string{"405"}, []string{"202"}, corpus.FieldAncestors, 0, true},
		{nil, []string{"202"}, corpus.FieldAncestors, neutral, false},
		{[]string{"1020"}, []string{"1020"}, corpus.SectorAncestors, 1, true},
		{[]string{"1020"}, []string{"1030"}, corpus.SectorAncestors, 0.6, true},
		{[]string{"10"}, []string{"1030"}, corpus.SectorAncestors, 0.6, true},
		{[]string{"10"}, []string{"31"}, corpus.SectorAncestors, 0.35, true}, // only section C in common
		{[]string{"1020"}, []string{"16"}, corpus.SectorAncestors, 0.35, true},
		{[]string{"03"}, []string{"10"}, corpus.SectorAncestors, 0, true},
	}
	for _, tt := range tests {
		got, _, known := codeAgreement(tt.need, tt.res, tt.anc)
		if got != tt.want || known != tt.known {
			t.Errorf("codeAgreement(%v, %v) = %v, %v; want %v, %v", tt.need, tt.res, got, known, tt.want, tt.known)
		}
	}
}

func TestTRLFit(t *testing.T) {
	tests := []struct {
		min, trl int
		want     float64
		known    bool
	}{
		{6, 7, 1, true}, {6, 6, 1, true}, {6, 5, 0.75, true}, {7, 3, 0, true}, {0, 0, neutral, false},
		// Without a requirement maturity is neither good nor bad.
		{0, 9, neutral, false}, {0, 2, neutral, false}, {5, 0, neutral, false},
	}
	for _, tt := range tests {
		if got, known := trlFit(tt.min, tt.trl); got != tt.want || known != tt.known {
			t.Errorf("trlFit(%d, %d) = %v, %v", tt.min, tt.trl, got, known)
		}
	}
}

func TestBudgetFit(t *testing.T) {
	tests := []struct {
		budget, price corpus.Range
		want          float64
	}{
		{corpus.Range{Max: 500e6}, corpus.Range{Min: 300e6, Max: 600e6}, 1},
		{corpus.Range{Max: 300e6}, corpus.Range{Min: 600e6}, 0.5},
		{corpus.Range{}, corpus.Range{Min: 600e6}, neutral},
		{corpus.Range{Min: 100e6}, corpus.Range{Min: 600e6}, 1}, // no upper bound stated
	}
	for _, tt := range tests {
		if got, _ := budgetFit(tt.budget, tt.price); got != tt.want {
			t.Errorf("budgetFit(%v, %v) = %v, want %v", tt.budget, tt.price, got, tt.want)
		}
	}
}

func TestInformativeTerms(t *testing.T) {
	got := informativeTerms("Chúng tôi cần máy sấy cá cơm đỡ tốn điện, và giữ màu đẹp; máy phải rẻ")
	joined := strings.Join(got, " ")
	for _, drop := range []string{"Chúng", "tôi", "cần", " và "} {
		if strings.Contains(" "+joined+" ", " "+strings.TrimSpace(drop)+" ") {
			t.Errorf("function word %q kept: %q", drop, joined)
		}
	}
	for _, keep := range []string{"máy", "sấy", "cá", "cơm", "điện", "màu"} {
		if !strings.Contains(" "+joined+" ", " "+keep+" ") {
			t.Errorf("topic word %q dropped: %q", keep, joined)
		}
	}
	if strings.Count(joined, "máy") != 1 {
		t.Errorf("duplicates kept: %q", joined)
	}
}

func TestLoadWeights(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.json")
	os.WriteFile(p, []byte(`{"text": 0.9, "locality": 0}`), 0o644)
	w, err := LoadWeights(p)
	if err != nil {
		t.Fatal(err)
	}
	if w.Text != 0.9 || w.Locality != 0 || w.Field != DefaultWeights().Field {
		t.Errorf("weights = %+v", w)
	}
	os.WriteFile(p, []byte(`{"text": -1}`), 0o644)
	if _, err := LoadWeights(p); err == nil {
		t.Error("negative weight accepted")
	}
	os.WriteFile(p, []byte(`{"text": `), 0o644)
	if _, err := LoadWeights(p); err == nil || !strings.Contains(err.Error(), "w.json") {
		t.Errorf("broken file: err = %v, want one naming the file", err)
	}
}
