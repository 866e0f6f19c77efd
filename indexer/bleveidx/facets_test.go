package bleveidx

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"ketnoi/indexer"
)

// facetDoc makes a document with facet values drawn from small pools, so that values repeat across
// documents and segments, some documents lack a value, and some have several.
func facetDoc(r *rand.Rand, id string) indexer.Doc {
	pick := func(pool ...string) string { return pool[r.IntN(len(pool))] }
	some := func(pool ...string) []string {
		var out []string
		for _, v := range pool {
			if r.IntN(3) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	d := indexer.Doc{
		ID: id, Kind: indexer.KindResult,
		Title:         pick("Máy sấy cá", "Giống lúa chịu mặn", "Chế phẩm sinh học", "Phần mềm quản lý") + " " + id,
		Summary:       pick("sấy nông sản", "xử lý nước thải", "trồng keo lai", "cá cơm Tam Quan"),
		FieldCodes:    some("1", "2", "201", "4", "401"),
		Sectors:       some("A", "C", "J"),
		IPStatus:      pick("", "patent", "utility_solution", "filed"),
		TransferForms: some("licence", "equipment", "joint_development"),
		Organization:  pick("Trường Đại học Quy Nhơn", "Viện Khoa học", "Sở KH&CN", ""),
		Locality:      pick("quy-nhon", "an-nhon", "hoai-nhon", ""),
		Province:      pick("binh-dinh", "gia-lai", ""),
		Year:          2010 + r.IntN(15),
		TRL:           r.IntN(10),
	}
	if r.IntN(8) == 0 {
		d.Kind, d.Confidentiality = indexer.KindNeed, pick("public", "anonymised", "broker_only")
	}
	return d
}

// bleveFacets counts the facets of req as bleve's own facet builder does, on the query Search would run:
// the reference the tables must agree with.
func bleveFacets(t *testing.T, x *Index, req *indexer.SearchRequest) map[string]map[string]int {
	t.Helper()
	ctx := context.Background()
	st := newStats(ctx, x.bi)
	defer st.close()
	p := x.translate(req, st)
	own := map[string]bool{}
	for _, f := range p.filters {
		own[f.facet] = true
	}
	out := map[string]map[string]int{}
	for _, name := range req.Facets {
		skip := ""
		if own[name] {
			skip = name
		}
		br := bleve.NewSearchRequestOptions(p.query(skip), 0, 0, false)
		br.AddFacet(name, bleve.NewFacetRequest(facetFields[name], 10000))
		res, err := x.bi.SearchInContext(ctx, br)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, tf := range res.Facets[name].Terms.Terms() {
			m[tf.Term] = tf.Count
		}
		out[name] = m
	}
	return out
}

// churnedIndex opens a test index and fills it with batches of per documents made by mk, each batch also
// replacing or deleting churn earlier documents: several segments, with updates and deletes.
func churnedIndex(t *testing.T, seed uint64, batches, per, churn int, mk func(*rand.Rand, string) indexer.Doc) *Index {
	t.Helper()
	x := openTest(t, DefaultOptions)
	r := rand.New(rand.NewPCG(seed, seed+1))
	n := 0
	for b := range batches {
		batch := &indexer.Batch{Seq: uint64(b + 1)}
		for range per {
			batch.Put = append(batch.Put, mk(r, fmt.Sprintf("d%03d", n)))
			n++
		}
		for range churn {
			id := fmt.Sprintf("d%03d", r.IntN(n))
			if r.IntN(2) == 0 {
				batch.Put = append(batch.Put, mk(r, id))
			} else {
				batch.Delete = append(batch.Delete, id)
			}
		}
		if err := x.Apply(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func TestFacetTablesAgreeWithBleve(t *testing.T) {
	x := churnedIndex(t, 1, 6, 120, 15, facetDoc)
	ctx := context.Background()
	all := []string{indexer.FacetKind, indexer.FacetField, indexer.FacetSector, indexer.FacetYear,
		indexer.FacetOrganization, indexer.FacetTRL, indexer.FacetIPStatus, indexer.FacetTransferForm,
		indexer.FacetLocality, indexer.FacetProvince}
	reqs := []struct {
		name string
		req  indexer.SearchRequest
	}{
		{"everything", indexer.SearchRequest{}},
		{"words", indexer.SearchRequest{Query: indexer.ParseQuery("may say ca")}},
		{"accented words", indexer.SearchRequest{Query: indexer.ParseQuery("xử lý nước")}},
		{"phrase", indexer.SearchRequest{Query: indexer.ParseQuery(`"cá cơm"`)}},
		{"filters", indexer.SearchRequest{Query: indexer.ParseQuery("sấy"), Sectors: []string{"A"},
			FieldCodes: []string{"2", "4"}, YearMin: 2015, TRLMin: 3}},
		{"needs too", indexer.SearchRequest{Kinds: []string{indexer.KindResult, indexer.KindNeed},
			Confidentiality: []string{"public", "anonymised", "broker_only"}}},
		{"year sort", indexer.SearchRequest{Query: indexer.ParseQuery("lúa"), Sort: "-year"}},
		{"paged", indexer.SearchRequest{Query: indexer.ParseQuery("keo"), From: 20}},
	}
	check := func(t *testing.T) {
		for _, tc := range reqs {
			t.Run(tc.name, func(t *testing.T) {
				req := tc.req
				req.Facets, req.FacetSize = all, 1000
				res, err := x.Search(ctx, &req)
				if err != nil {
					t.Fatal(err)
				}
				want := bleveFacets(t, x, &req)
				for _, name := range all {
					got := map[string]int{}
					for _, c := range res.Facets[name] {
						got[c.Value] = c.Count
					}
					if !maps.Equal(got, want[name]) {
						t.Errorf("facet %s: got %v, bleve counts %v", name, got, want[name])
					}
				}
			})
		}
	}
	t.Run("segments", check)
	if err := x.Compact(ctx); err != nil { // merged segments: new ids, new tables
		t.Fatal(err)
	}
	t.Run("compacted", check)
}

func TestTopScoresAdmit(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 3, 10} {
		top := newTopScores(n)
		var seen []float64
		for range 500 {
			score := float64(r.IntN(40)) // repeated values: ties with the n-th
			nth := math.Inf(-1)
			if n > 0 && len(seen) >= n {
				sorted := slices.Clone(seen)
				slices.Sort(sorted)
				nth = sorted[len(sorted)-n]
			}
			want := n > 0 && score >= nth
			if got := top.admit(score); got != want {
				t.Fatalf("n=%d, after %d scores: admit(%v) = %v, the %d-th best is %v", n, len(seen), score, got, n, nth)
			}
			seen = append(seen, score)
		}
	}
}

// TestSearchPageWithoutLosers pins that leaving out of the collector the matches that cannot make the page
// changes neither the page nor the total: bleve's own search of the same query is the reference.
func TestSearchPageWithoutLosers(t *testing.T) {
	// The first stage's pages against bleve's: the second stage (rerank.go) orders them again.
	secondStage = false
	defer func() { secondStage = true }()
	x := churnedIndex(t, 11, 3, 100, 10, textDoc)
	if err := x.Compact(context.Background()); err != nil { // one state for both searches
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range typedQueries() {
		for _, page := range []struct{ from, size int }{{0, 10}, {0, 1}, {20, 10}, {95, 30}} {
			t.Run(fmt.Sprintf("%s/%d+%d", tc.name, page.from, page.size), func(t *testing.T) {
				req := &indexer.SearchRequest{Query: tc.q, From: page.from, Size: page.size}
				res, err := x.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				st := newStats(ctx, x.bi)
				defer st.close()
				p := x.translate(req, st)
				br := bleve.NewSearchRequestOptions(p.query(""), page.size, page.from, false)
				br.SortByCustom(sortOrder("", !p.ranked()))
				want, err := x.bi.SearchInContext(ctx, br)
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != want.Total {
					t.Errorf("total %d, bleve counts %d", res.Total, want.Total)
				}
				var got, wantIDs []string
				for _, h := range res.Hits {
					got = append(got, h.ID)
				}
				for _, h := range want.Hits {
					wantIDs = append(wantIDs, h.ID)
				}
				if !slices.Equal(got, wantIDs) {
					t.Errorf("page %v, bleve gives %v", got, wantIDs)
				}
				if want.Total == 0 {
					t.Skip("no match")
				}
			})
		}
	}
}
