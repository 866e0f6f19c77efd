package bleveidx

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"ketnoi/indexer"
)

// textDoc makes a document whose text fields draw words from one small pool, so that a word occurs in
// several fields of a document, at different frequencies and field lengths.
func textDoc(r *rand.Rand, id string) indexer.Doc {
	words := strings.Fields("máy sấy cá cơm nước thải xử lý lúa chịu mặn giống keo lai chế phẩm sinh học " +
		"phần mềm quản lý nông sản Tam Quan Quy Nhơn mực khô tôm hùm")
	text := func(n int) string {
		var b strings.Builder
		for range 1 + r.IntN(n) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	d := indexer.Doc{ID: id, Kind: indexer.KindResult, Title: text(6), Keywords: text(3), Summary: text(20),
		Applications: text(8), Body: text(200), Year: 2010 + r.IntN(15)}
	if r.IntN(3) == 0 {
		d.Summary = ""
	}
	if r.IntN(10) == 0 {
		d.Kind, d.Confidentiality = indexer.KindNeed, "public"
	}
	return d
}

// queryKind builds queries either with the merged searchers or with bleve's disjunctions.
type queryKind struct {
	term func(term string, fields []string, w float64) query.Query
	or   func(qs []query.Query, min float64) query.Query
}

// hitScores runs q over the whole index and returns every hit's score by id, and the hits in rank order.
func hitScores(t *testing.T, x *Index, q query.Query) (map[string]float64, []string) {
	t.Helper()
	req := bleve.NewSearchRequestOptions(q, 10000, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := x.bi.SearchInContext(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	scores := map[string]float64{}
	var order []string
	for _, h := range res.Hits {
		scores[h.ID] = h.Score
		order = append(order, h.ID)
	}
	if int(res.Total) != len(res.Hits) {
		t.Fatalf("total %d, %d hits", res.Total, len(res.Hits))
	}
	return scores, order
}

// bothScores runs the reference query plain and the query under test fused on the same index state: a
// background merge between two searches changes BM25's field statistics (deleted documents leave the
// counts), so the pair is run again until the reference gives the same scores before and after.
func bothScores(t *testing.T, x *Index, plain, fused query.Query) (want, got map[string]float64, gotOrder []string) {
	t.Helper()
	for range 50 {
		want, _ = hitScores(t, x, plain)
		got, gotOrder = hitScores(t, x, fused)
		if again, _ := hitScores(t, x, plain); maps.Equal(again, want) {
			return want, got, gotOrder
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the index kept changing")
	return nil, nil, nil
}

// TestFieldsTermMatchesDisjunction pins that the merged multi-field term searcher finds the same documents
// with the same scores as bleve's disjunction of term queries, alone and inside the compound queries Search
// builds (where an enclosing searcher sets the query norm, and conjunctions call Advance), over several
// segments with updates and deletes, then compacted.
func TestFieldsTermMatchesDisjunction(t *testing.T) {
	x := churnedIndex(t, 3, 5, 80, 10, textDoc)
	ctx := context.Background()
	exact, folded := textFieldNames(), textFieldNames()
	for i := range folded {
		folded[i] += sufFolded
	}
	ids := func(qs ...query.Query) query.Query {
		some := []string{"d001", "d007", "d050", "d123", "d200", "d399", "d404"}
		return query.NewConjunctionQuery(append([]query.Query{query.NewDocIDQuery(some)}, qs...))
	}
	fused := queryKind{
		term: func(term string, fields []string, w float64) query.Query { return newFieldsTermQuery(term, fields, w) },
		or:   func(qs []query.Query, min float64) query.Query { return newClauseQuery(qs, min) },
	}
	plain := queryKind{
		term: func(term string, fields []string, w float64) query.Query {
			return newFieldsTermQuery(term, fields, w).disjunction()
		},
		or: func(qs []query.Query, min float64) query.Query { return disj(qs, min) },
	}
	org := func(text string) query.Query { return matchQ(text, fOrganizationF, AnalyzerFolded, nameWeight, false) }
	cases := []struct {
		name  string
		build func(v queryKind) query.Query
	}{
		{"one term", func(v queryKind) query.Query { return v.term("sấy", exact, 1) }},
		{"folded, weighted", func(v queryKind) query.Query {
			return v.term("say", folded, 0.4)
		}},
		{"absent term", func(v queryKind) query.Query { return v.term("zzz", exact, 1) }},
		{"words with coordination", func(v queryKind) query.Query {
			return v.or([]query.Query{v.term("nước", exact, 1), v.term("thải", exact, 1), v.term("nuoc", folded, 0.4),
				v.term("thai", folded, 0.4), v.term("tôm", exact, 1)}, 1)
		}},
		{"with a filter", func(v queryKind) query.Query {
			bq := query.NewBooleanQuery(nil, nil, nil)
			bq.Should = v.or([]query.Query{v.term("lúa", exact, 1), v.term("mặn", exact, 1)}, 1)
			kind := query.NewTermQuery(indexer.KindNeed)
			kind.SetField(fKind)
			bq.MustNot = kind
			year := numRange(fYear, 2015, 2020)
			bq.AddFilter(year)
			return bq
		}},
		{"advanced to ids", func(v queryKind) query.Query {
			return ids(v.or([]query.Query{v.term("cá", exact, 1), v.term("cơm", exact, 1)}, 1))
		}},
		{"advanced, alone", func(v queryKind) query.Query {
			return ids(v.term("quản", exact, 1))
		}},
		{"more than ten clauses, min 1", func(v queryKind) query.Query {
			var qs []query.Query
			for _, w := range strings.Fields("máy sấy cá cơm nước thải lúa mặn keo lai tôm hùm") {
				qs = append(qs, v.term(w, exact, 1), v.term(w, folded, 0.4))
			}
			return v.or(append(qs, org("quy nhon")), 1)
		}},
		{"other clauses among the words", func(v queryKind) query.Query {
			pairs := query.NewConjunctionQuery([]query.Query{v.term("che pham", []string{fText + sufFoldedBigram}, 1),
				v.term("pham sinh", []string{fText + sufFoldedBigram}, 1)})
			return v.or([]query.Query{v.term("chế", exact, 1), org("tam quan"), pairs,
				v.term("zzz", folded, 1)}, 1)
		}},
		{"two required, advanced", func(v queryKind) query.Query {
			return ids(v.or([]query.Query{v.term("cá", exact, 1), v.term("cơm", exact, 1), v.term("mực", exact, 1)}, 2))
		}},
	}
	check := func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				want, got, gotOrder := bothScores(t, x, tc.build(plain), tc.build(fused))
				if len(got) != len(want) {
					t.Fatalf("%d hits, the disjunction has %d", len(got), len(want))
				}
				for id, w := range want {
					g, ok := got[id]
					if !ok || math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
						t.Errorf("%s: score %v (found %v), the disjunction gives %v", id, g, ok, w)
					}
				}
				// The same order, but for near ties that a different summation order may break otherwise.
				for i := 1; i < len(gotOrder); i++ {
					a, b := want[gotOrder[i-1]], want[gotOrder[i]]
					if b > a+1e-12*math.Max(1, a) {
						t.Errorf("rank %d: %s (%v) before %s (%v)", i, gotOrder[i-1], a, gotOrder[i], b)
					}
				}
			})
		}
	}
	t.Run("segments", check)
	if err := x.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("compacted", check)
}

func unfuseAll(qs []query.Query) []query.Query {
	out := make([]query.Query, len(qs))
	for i, q := range qs {
		out[i] = unfuse(q)
	}
	return out
}

// unfuse rewrites q with bleve's own disjunctions in place of the merged searchers.
func unfuse(q query.Query) query.Query {
	switch q := q.(type) {
	case *fieldsTermQuery:
		return q.disjunction()
	case *clauseQuery:
		return unfuse(q.disjunction())
	case *query.DisjunctionQuery:
		c := *q
		c.Disjuncts = unfuseAll(q.Disjuncts)
		return &c
	case *query.ConjunctionQuery:
		c := *q
		c.Conjuncts = unfuseAll(q.Conjuncts)
		return &c
	case *query.BooleanQuery:
		c := *q
		for _, p := range []*query.Query{&c.Must, &c.Should, &c.MustNot, &c.Filter} {
			if *p != nil {
				*p = unfuse(*p)
			}
		}
		return &c
	}
	return q
}

// typedQueries are queries as users type them, one of each kind the translation handles differently.
func typedQueries() []struct {
	name string
	q    indexer.Query
} {
	expanded := indexer.ParseQuery("máy sấy")
	expanded.Expansions = []indexer.Expansion{{Text: "cá cơm", Weight: 0.5}, {Text: "tôm", Weight: 0.3}}
	return []struct {
		name string
		q    indexer.Query
	}{
		{"accented", indexer.ParseQuery("xử lý nước thải máy sấy cá")},
		{"unaccented", indexer.ParseQuery("xu ly nuoc thai may say ca")},
		{"typo", indexer.ParseQuery("quanr lý")},
		{"phrase and words", indexer.ParseQuery(`"cá cơm" Tam Quan`)},
		{"excluded", indexer.ParseQuery("lúa -mặn")},
		{"year clause", indexer.ParseQuery("keo năm:2012..2020")},
		{"expansions", expanded},
	}
}

// TestTranslatedQueriesMatchDisjunctions runs what Search builds for typed queries both ways.
func TestTranslatedQueriesMatchDisjunctions(t *testing.T) {
	x := churnedIndex(t, 5, 3, 100, 5, textDoc)
	ctx := context.Background()
	for _, tc := range typedQueries() {
		t.Run(tc.name, func(t *testing.T) {
			st := newStats(ctx, x.bi)
			defer st.close()
			p := x.translate(&indexer.SearchRequest{Query: tc.q}, st)
			fq := p.query("")
			want, got, _ := bothScores(t, x, unfuse(fq), fq)
			if len(want) == 0 || len(got) != len(want) {
				t.Fatalf("%d hits, bleve's disjunctions give %d", len(got), len(want))
			}
			for id, w := range want {
				if g, ok := got[id]; !ok || math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
					t.Errorf("%s: score %v (found %v), bleve's disjunctions give %v", id, g, ok, w)
				}
			}
		})
	}
}

// TestLocationsQueryPresentsAsFullQuery pins that leaving the exact and bigram clauses out of the
// presentation search changes no highlight, page or matched term.
func TestLocationsQueryPresentsAsFullQuery(t *testing.T) {
	respelled := func(r *rand.Rand, id string) indexer.Doc {
		d := textDoc(r, id)
		if r.IntN(3) == 0 { // other spellings of the same folded syllables
			d.Body += " mây sây cà côm quan lý thai"
		}
		return d
	}
	x := churnedIndex(t, 7, 1, 150, 0, respelled)
	ctx := context.Background()
	for _, tc := range typedQueries() {
		t.Run(tc.name, func(t *testing.T) {
			req := &indexer.SearchRequest{Query: tc.q, Size: 30, Highlight: true}
			res, err := x.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 {
				t.Fatal("no hits")
			}
			st := newStats(ctx, x.bi)
			defer st.close()
			p := x.translate(req, st)
			p.shown = x.textQuery(req.Query, keepCommon{st})
			want := slices.Clone(res.Hits)
			for i := range want {
				want[i].Fragments, want[i].MatchedTerms, want[i].Page = nil, nil, 0
			}
			if _, err := x.present(ctx, x.bi, p, true, false, want); err != nil {
				t.Fatal(err)
			}
			marks := 0
			for i, h := range res.Hits {
				if !reflect.DeepEqual(h.Fragments, want[i].Fragments) || !slices.Equal(h.MatchedTerms, want[i].MatchedTerms) ||
					h.Page != want[i].Page {
					t.Errorf("%s: got %v %q p%d, the full query gives %v %q p%d", h.ID, h.Fragments, h.MatchedTerms,
						h.Page, want[i].Fragments, want[i].MatchedTerms, want[i].Page)
				}
				for _, fs := range h.Fragments {
					for _, f := range fs {
						marks += strings.Count(f, "<mark>")
					}
				}
			}
			if marks == 0 {
				t.Error("nothing highlighted")
			}
		})
	}
}
