package sample

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
)

func TestSampleIsCompleteAndClean(t *testing.T) {
	recs, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	kinds := map[string]int{}
	withBody, withEN := 0, 0
	for _, r := range recs {
		if ids[r.RecordID()] {
			t.Errorf("duplicate id %s", r.RecordID())
		}
		ids[r.RecordID()] = true
		kinds[r.RecordKind()]++
		if res, ok := r.(*corpus.Result); ok {
			if res.Body != "" {
				withBody++
			}
			if res.SummaryEN != "" {
				withEN++
			}
		}
	}
	if kinds[corpus.KindResult] < 300 || kinds[corpus.KindNeed] < 60 {
		t.Errorf("sample has %d results and %d needs, want at least 300 and 60", kinds[corpus.KindResult], kinds[corpus.KindNeed])
	}
	if withBody < 50 || withEN < 20 {
		t.Errorf("sample has %d results with a body and %d with an English summary", withBody, withEN)
	}
}

// TestSampleHasNoTemplateRepetition guards against generated filler: no sentence of eight words or more may
// appear in more than two records.
func TestSampleHasNoTemplateRepetition(t *testing.T) {
	recs, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]map[string]bool{}
	for _, r := range recs {
		var texts []string
		switch x := r.(type) {
		case *corpus.Result:
			texts = []string{x.Summary, x.Body, x.Applications, x.Advantages}
		case *corpus.Need:
			texts = []string{x.Description}
		}
		for _, text := range texts {
			for _, s := range strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '\n' || r == ';' }) {
				s = strings.ToLower(strings.Join(strings.Fields(s), " "))
				if len(strings.Fields(s)) < 8 {
					continue
				}
				if where[s] == nil {
					where[s] = map[string]bool{}
				}
				where[s][r.RecordID()] = true
			}
		}
	}
	for s, ids := range where {
		if len(ids) > 2 {
			t.Errorf("sentence repeated in %d records: %q", len(ids), s)
		}
	}
}

func TestSampleTextIsNFC(t *testing.T) {
	for _, name := range Files() {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) || !norm.NFC.IsNormal(b) {
			t.Errorf("%s is not valid NFC UTF-8", name)
		}
	}
}
