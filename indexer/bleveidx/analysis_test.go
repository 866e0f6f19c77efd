package bleveidx

import (
	"os"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
)

type tok struct {
	term       string
	start, end int
	pos        int
}

func analyze(a analysis.Analyzer, s string) []tok {
	var out []tok
	for _, t := range a.Analyze([]byte(s)) {
		out = append(out, tok{string(t.Term), t.Start, t.End, t.Position})
	}
	return out
}

func TestAnalyzers(t *testing.T) {
	nfd := norm.NFD.String("Hoà bình")
	tests := []struct {
		name     string
		analyzer analysis.Analyzer
		in       string
		want     []tok
	}{
		{"exact accented", exactAnalyzer, "Máy sấy cá cơm.", []tok{
			{"máy", 0, 4, 1}, {"sấy", 5, 10, 2}, {"cá", 11, 14, 3}, {"cơm", 15, 19, 4}}},
		{"folded accented", foldedAnalyzer, "Máy sấy cá cơm.", []tok{
			{"may", 0, 4, 1}, {"say", 5, 10, 2}, {"ca", 11, 14, 3}, {"com", 15, 19, 4}}},
		{"tone placement", exactAnalyzer, "hoà thuý", []tok{{"hòa", 0, 4, 1}, {"thúy", 5, 10, 2}}},
		// NFD: the combining marks stay inside the token, the offsets cover them and the key is NFC.
		{"NFD exact", exactAnalyzer, nfd, []tok{{"hòa", 0, len(norm.NFD.String("Hoà")), 1},
			{"bình", len(norm.NFD.String("Hoà ")), len(nfd), 2}}},
		{"NFD folded", foldedAnalyzer, nfd, []tok{{"hoa", 0, len(norm.NFD.String("Hoà")), 1},
			{"binh", len(norm.NFD.String("Hoà ")), len(nfd), 2}}},
		{"D with stroke", exactAnalyzer, "Đà Nẵng", []tok{{"đà", 0, 4, 1}, {"nẵng", 5, 11, 2}}},
		{"Eth as D", exactAnalyzer, "Ðà", []tok{{"đà", 0, 4, 1}}},
		{"D folded", foldedAnalyzer, "ĐÀ ÐÀ đà", []tok{{"da", 0, 4, 1}, {"da", 5, 9, 2}, {"da", 10, 14, 3}}},
		{"separators", exactAnalyzer, "COVID-19, H2O; “Lúa Khỏe”…(2024)", []tok{
			{"covid", 0, 5, 1}, {"19", 6, 8, 2}, {"h2o", 10, 13, 3}, {"lúa", 18, 22, 4}, {"khỏe", 23, 29, 5},
			{"2024", 36, 40, 6}}},
		{"bigram exact", exactBigramAnalyzer, "Khoa học công nghệ", []tok{
			{"khoa_học", 0, 10, 1}, {"học_công", 5, 16, 2}, {"công_nghệ", 11, 23, 3}}},
		{"bigram folded", foldedBigramAnalyzer, "Khoa học, công nghệ", []tok{
			{"khoa_hoc", 0, 10, 1}, {"hoc_cong", 5, 17, 2}, {"cong_nghe", 12, 24, 3}}},
		{"bigram single", exactBigramAnalyzer, "lúa", nil},
		// A stray combining mark folds to nothing: the syllables around it are not adjacent.
		{"stray mark folded", foldedAnalyzer, "cá \u0301 cơm", []tok{{"ca", 0, 3, 1}, {"com", 7, 11, 3}}},
		{"bigram across a dropped token", foldedBigramAnalyzer, "cá \u0301 cơm", nil},
		{"empty", exactAnalyzer, " ,.;", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := analyze(tc.analyzer, tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("token %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// Offsets must point at the original word whatever the analyzer: highlights depend on it.
func TestAnalyzerOffsetsOnProse(t *testing.T) {
	text := readProse(t)
	for _, in := range []string{text, norm.NFD.String(text)} {
		ex := exactAnalyzer.Analyze([]byte(in))
		fo := foldedAnalyzer.Analyze([]byte(in))
		if len(ex) != len(fo) || len(ex) < 3000 {
			t.Fatalf("exact %d tokens, folded %d", len(ex), len(fo))
		}
		for i := range ex {
			orig := in[ex[i].Start:ex[i].End]
			if ex[i].Start != fo[i].Start || ex[i].End != fo[i].End || ex[i].Position != i+1 {
				t.Fatalf("token %d %q: offsets or position differ", i, orig)
			}
			if got, want := string(ex[i].Term), vntext.Key(orig); got != want {
				t.Errorf("exact %q: got %q, want %q", orig, got, want)
			}
			if got, want := string(fo[i].Term), vntext.FoldKey(orig); got != want {
				t.Errorf("folded %q: got %q, want %q", orig, got, want)
			}
			// vi_folded skips vi_key: that is only right if folding a key changes nothing.
			if a, b := vntext.FoldKey(vntext.Key(orig)), vntext.FoldKey(orig); a != b {
				t.Errorf("FoldKey(Key(%q)) = %q, FoldKey = %q", orig, a, b)
			}
		}
	}
}

func TestRegistered(t *testing.T) {
	c := registry.NewCache()
	for _, name := range []string{AnalyzerExact, AnalyzerFolded, AnalyzerExactBigram, AnalyzerFoldedBigram} {
		a, err := c.AnalyzerNamed(name)
		if err != nil || a == nil {
			t.Fatalf("analyzer %s: %v", name, err)
		}
		if len(a.Analyze([]byte("Hòa Bình"))) == 0 {
			t.Errorf("analyzer %s produced nothing", name)
		}
	}
	for _, name := range []string{FilterKey, FilterFold, FilterBigram} {
		if _, err := c.TokenFilterNamed(name); err != nil {
			t.Errorf("token filter %s: %v", name, err)
		}
	}
	if _, err := c.TokenizerNamed(TokenizerSyllable); err != nil {
		t.Errorf("tokenizer: %v", err)
	}
}

// Filters must not share state: run them from many goroutines (go test -race catches a violation).
func TestAnalyzersConcurrent(t *testing.T) {
	text := []byte(readProse(t)[:4000])
	want := analyze(foldedBigramAnalyzer, string(text))
	done := make(chan []tok)
	for range 8 {
		go func() { done <- analyze(foldedBigramAnalyzer, string(text)) }()
	}
	for range 8 {
		got := <-done
		if len(got) != len(want) {
			t.Fatalf("concurrent run: %d tokens, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("concurrent run differs at %d: %v vs %v", i, got[i], want[i])
			}
		}
	}
}

func readProse(tb testing.TB) string {
	b, err := os.ReadFile("testdata/vi_prose.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
