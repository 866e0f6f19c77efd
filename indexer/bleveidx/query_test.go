package bleveidx

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/search/query"

	"ketnoi/indexer"
)

// leaf is one field query found in a translated query tree.
type leaf struct {
	kind     string // match, phrase, fuzzy
	field    string
	analyzer string
	text     string
	boost    float64
	where    string // must, should, must_not
	fuzz     int
	prefix   int
}

func leaves(q query.Query, where string, out *[]leaf) {
	switch q := q.(type) {
	case *query.BooleanQuery:
		if q.Must != nil {
			leaves(q.Must, "must", out)
		}
		if q.Should != nil {
			leaves(q.Should, "should", out)
		}
		if q.MustNot != nil {
			leaves(q.MustNot, "must_not", out)
		}
	case *query.ConjunctionQuery:
		for _, c := range q.Conjuncts {
			leaves(c, where, out)
		}
	case *query.DisjunctionQuery:
		for _, c := range q.Disjuncts {
			leaves(c, where, out)
		}
	case *fieldsTermQuery:
		leaves(q.disjunction(), where, out)
	case *clauseQuery:
		leaves(q.disjunction(), where, out)
	case *query.MatchQuery:
		*out = append(*out, leaf{kind: "match", field: q.FieldVal, analyzer: q.Analyzer, text: q.Match, boost: q.Boost(), where: where})
	case *query.TermQuery:
		*out = append(*out, leaf{kind: "term", field: q.FieldVal, text: q.Term, boost: q.Boost(), where: where})
	case *query.MatchPhraseQuery:
		*out = append(*out, leaf{kind: "phrase", field: q.FieldVal, analyzer: q.Analyzer, text: q.MatchPhrase, boost: q.Boost(), where: where})
	case *query.FuzzyQuery:
		*out = append(*out, leaf{kind: "fuzzy", field: q.FieldVal, text: q.Term, boost: q.Boost(), where: where, fuzz: q.Fuzziness, prefix: q.Prefix})
	case *query.NumericRangeQuery:
		*out = append(*out, leaf{kind: "range", field: q.FieldVal, where: where})
	}
}

// Bigram layouts: none, what new indexes get, and per-field variants as indexes built before have.
var (
	noBigrams       = bigramLayout{}
	combinedBigrams = newLayout(Options{Bigrams: true})
	perFieldBigrams = bigramLayout{exact: true, folded: true}
)

func translate(t *testing.T, bl bigramLayout, s string) []leaf {
	t.Helper()
	x := &Index{bigrams: bl.any(), layout: bl}
	q := x.textQuery(indexer.ParseQuery(s), nil)
	if q == nil {
		return nil
	}
	var out []leaf
	leaves(q, "", &out)
	return out
}

func isFolded(field string) bool {
	return strings.HasSuffix(field, sufFolded) || strings.HasSuffix(field, sufFoldedBigram)
}

func TestQueryTranslation(t *testing.T) {
	wantAnalyzer := func(l leaf) string {
		switch {
		case strings.HasSuffix(l.field, sufFoldedBigram):
			return AnalyzerFoldedBigram
		case strings.HasSuffix(l.field, sufBigram):
			return AnalyzerExactBigram
		case strings.HasSuffix(l.field, sufFolded):
			return AnalyzerFolded
		}
		return AnalyzerExact
	}
	for _, tc := range []struct {
		name   string
		query  string
		layout bigramLayout
		check  func(t *testing.T, ls []leaf)
	}{
		{"unaccented searches folded fields only", "may say ca com", combinedBigrams, func(t *testing.T, ls []leaf) {
			for _, l := range ls {
				if !isFolded(l.field) {
					t.Errorf("exact field %s searched for an unaccented query", l.field)
				}
			}
		}},
		{"accented searches exact fields, folded lower", "máy sấy", noBigrams, func(t *testing.T, ls []leaf) {
			boost := map[string]float64{}
			for _, l := range ls {
				if l.kind == "term" {
					boost[l.field] = l.boost
				}
			}
			// Every field alike: the evidence of a term is summed across fields (see termDisjunctions).
			if boost["title"] != 1 || boost["keywords"] != 1 || boost["summary"] != 1 || boost["body"] != 1 {
				t.Errorf("exact boosts %v", boost)
			}
			if b := boost["title_f"]; !(b > 0 && b < boost["title"]) {
				t.Errorf("folded title boost %v, exact %v", b, boost["title"])
			}
		}},
		{"bigrams in the combined field", "may say", combinedBigrams, func(t *testing.T, ls []leaf) {
			fields := map[string]bool{}
			for _, l := range ls {
				fields[l.field] = true
			}
			if !fields["text_fb"] || fields["title_fb"] || fields["body_fb"] {
				t.Errorf("bigram fields: %v", fields)
			}
		}},
		{"accented queries use the folded bigrams", "máy sấy", combinedBigrams, func(t *testing.T, ls []leaf) {
			for _, l := range ls {
				if l.field == "text_fb" && l.text != "may_say" {
					t.Errorf("bigram leaf %+v", l)
				}
				if strings.HasSuffix(l.field, sufBigram) {
					t.Errorf("exact bigram field %s searched: the index has none", l.field)
				}
			}
		}},
		{"unaccented bigrams are folded, per field", "may say", perFieldBigrams, func(t *testing.T, ls []leaf) {
			fields := map[string]bool{}
			for _, l := range ls {
				fields[l.field] = true
			}
			if !fields["title_fb"] || !fields["body_fb"] || fields["text_fb"] {
				t.Errorf("folded bigram fields missing: %v", fields)
			}
		}},
		{"exact bigram variants for accented queries, per field", "máy sấy", perFieldBigrams, func(t *testing.T, ls []leaf) {
			fields := map[string]bool{}
			for _, l := range ls {
				fields[l.field] = true
			}
			if !fields["title_b"] || !fields["body_b"] || fields["title_fb"] {
				t.Errorf("bigram fields missing: %v", fields)
			}
		}},
		{"fuzzy on long folded syllables only", "nghiên cứu lúa 2024", noBigrams, func(t *testing.T, ls []leaf) {
			n := 0
			for _, l := range ls {
				if l.kind != "fuzzy" {
					continue
				}
				n++
				if l.text != "nghien" || !strings.HasSuffix(l.field, sufFolded) || l.fuzz != 1 || l.prefix != 1 ||
					l.boost >= 0.5 || l.where != "should" {
					t.Errorf("fuzzy leaf %+v", l)
				}
			}
			if n != len(textFields) {
				t.Errorf("%d fuzzy leaves, want one per text field", n)
			}
		}},
		{"accented phrase on exact fields, required", `"máy sấy" cá`, noBigrams, func(t *testing.T, ls []leaf) {
			for _, l := range ls {
				if l.kind == "phrase" && (l.where != "must" || isFolded(l.field) || l.text != "máy sấy") {
					t.Errorf("phrase leaf %+v", l)
				}
			}
		}},
		{"unaccented phrase on folded fields", `"may say"`, noBigrams, func(t *testing.T, ls []leaf) {
			if len(ls) != len(textFields) {
				t.Errorf("%d leaves, want %d", len(ls), len(textFields))
			}
			for _, l := range ls {
				if l.kind != "phrase" || l.where != "must" || !isFolded(l.field) {
					t.Errorf("phrase leaf %+v", l)
				}
			}
		}},
		{"excluded on folded fields", "cá -mặn", noBigrams, func(t *testing.T, ls []leaf) {
			n := 0
			for _, l := range ls {
				if l.where == "must_not" {
					n++
					if !isFolded(l.field) || l.kind != "phrase" {
						t.Errorf("excluded leaf %+v", l)
					}
				}
			}
			if n != len(textFields) {
				t.Errorf("%d must_not leaves", n)
			}
		}},
		{"clauses are required on folded fields", `tác_giả:"Nguyễn An" cơ_quan:Viện tiêu_đề:lúa năm:2020..`, noBigrams,
			func(t *testing.T, ls []leaf) {
				got := map[string]string{}
				for _, l := range ls {
					if l.where != "must" {
						t.Errorf("clause leaf not required: %+v", l)
					}
					got[l.field] = l.kind
				}
				want := map[string]string{fAuthorsF: "match", fOrganizationF: "match", "title_f": "match", fYear: "range"}
				for f, k := range want {
					if got[f] != k {
						t.Errorf("clause on %s: got %q, want %q (all %v)", f, got[f], k, got)
					}
				}
			}},
		{"nothing searchable", "  ...  ", noBigrams, func(t *testing.T, ls []leaf) {
			if ls != nil {
				t.Errorf("leaves %v", ls)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := translate(t, tc.layout, tc.query)
			for _, l := range ls {
				if (l.kind == "match" || l.kind == "phrase") && l.analyzer != wantAnalyzer(l) {
					t.Errorf("%s on %s uses analyzer %q, want %q", l.kind, l.field, l.analyzer, wantAnalyzer(l))
				}
			}
			tc.check(t, ls)
		})
	}
}

func applyDocs(t *testing.T, idx *Index, docs ...indexer.Doc) {
	t.Helper()
	if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		t.Fatal(err)
	}
}

func hitIDs(t *testing.T, idx *Index, req *indexer.SearchRequest) ([]string, []float64) {
	t.Helper()
	res, err := idx.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var scores []float64
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
		scores = append(scores, h.Score)
	}
	return ids, scores
}

func TestFuzzy(t *testing.T) {
	idx := openTest(t, Options{})
	applyDocs(t, idx,
		indexer.Doc{ID: "a", Kind: "result", Title: "Nghiên cứu giống lúa chịu hạn"},
		indexer.Doc{ID: "b", Kind: "result", Title: "Cây lúa bị nghiêng đổ sau bão"},
		indexer.Doc{ID: "c", Kind: "result", Title: "Chăn nuôi bò sữa"},
	)
	// A known syllable is taken as spelled.
	ids, _ := hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("nghiên")})
	if !slices.Equal(ids, []string{"a"}) {
		t.Errorf("nghiên: got %v, want [a]", ids)
	}
	// An unknown one finds its neighbours at one edit: "ngiên" → nghiên; "nghiêngg" → nghiêng (and not
	// nghiên, two edits away).
	ids, _ = hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("ngiên cứu")})
	if len(ids) == 0 || ids[0] != "a" {
		t.Errorf("typo ngiên cứu: got %v, want a first", ids)
	}
	ids, _ = hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("nghiêngg")})
	if !slices.Equal(ids, []string{"b"}) {
		t.Errorf("typo nghiêngg: got %v, want [b]", ids)
	}
	saved := fuzzyWeight
	fuzzyWeight = 0
	defer func() { fuzzyWeight = saved }()
	if ids, _ = hitIDs(t, idx, &indexer.SearchRequest{Query: indexer.ParseQuery("ngiên")}); len(ids) != 0 {
		t.Errorf("without fuzzy: got %v, want nothing", ids)
	}
}

// Filters select, they never score: the same hits keep the same scores under a filter all of them pass.
func TestFiltersDoNotScore(t *testing.T) {
	idx := openTest(t, Options{})
	docs, _ := benchDocs(t, 40)
	applyDocs(t, idx, docs...)
	q := indexer.ParseQuery("máy sấy cá cơm năng lượng")
	ids1, s1 := hitIDs(t, idx, &indexer.SearchRequest{Query: q, Size: 40})
	ids2, s2 := hitIDs(t, idx, &indexer.SearchRequest{Query: q, Size: 40, Sectors: []string{"A"}, Provinces: []string{"gia-lai"},
		YearMin: 1990, TRLMax: 9, ExcludeIDs: []string{"none"}, Confidentiality: []string{"public"}})
	if len(ids1) == 0 || !slices.Equal(ids1, ids2) {
		t.Fatalf("hits differ: %v vs %v", ids1, ids2)
	}
	for i := range s1 {
		if math.Abs(s1[i]-s2[i]) > 1e-9 {
			t.Errorf("hit %s: score %v without filters, %v with", ids1[i], s1[i], s2[i])
		}
	}
}

func TestPagingLimits(t *testing.T) {
	idx := openTest(t, Options{})
	docs, _ := benchDocs(t, 150)
	applyDocs(t, idx, docs...)
	for _, tc := range []struct {
		from, size, want int
	}{{0, 0, defaultSize}, {0, 1000, maxSize}, {-5, 3, 3}, {148, 10, 2}, {9995, 10, 0}} {
		ids, _ := hitIDs(t, idx, &indexer.SearchRequest{From: tc.from, Size: tc.size})
		if len(ids) != tc.want {
			t.Errorf("From %d Size %d: %d hits, want %d", tc.from, tc.size, len(ids), tc.want)
		}
	}
}

func TestTermsNextToClausesAreRequired(t *testing.T) {
	x, err := OpenWith(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs := []indexer.Doc{
		{ID: "a", Kind: indexer.KindResult, Title: "Xử lý nước thải làng nghề bún", Year: 2022},
		{ID: "b", Kind: indexer.KindResult, Title: "Giống lúa chịu hạn", Year: 2022},
		{ID: "c", Kind: indexer.KindResult, Title: "Xử lý nước thải chăn nuôi", Year: 2019},
	}
	if err := x.Apply(context.Background(), &indexer.Batch{Put: docs, Seq: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery("nước thải năm:2022")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Hits[0].ID != "a" {
		t.Errorf("got %d hits %v, want only a", res.Total, res.Hits)
	}
}
