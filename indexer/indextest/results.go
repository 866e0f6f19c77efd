package indextest

import (
	"context"
	"errors"
	"html"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ketnoi/indexer"
)

// checkFragment checks that frag is escaped HTML whose only markup is <mark>, that its text comes from orig,
// and returns the marked pieces, unescaped.
func checkFragment(t *testing.T, field, frag, orig string) []string {
	t.Helper()
	var marked []string
	plain := frag
	for {
		i := strings.Index(plain, "<mark>")
		if i < 0 {
			break
		}
		j := strings.Index(plain[i:], "</mark>")
		if j < 0 {
			t.Errorf("%s: unclosed <mark> in %q", field, frag)
			return nil
		}
		marked = append(marked, html.UnescapeString(plain[i+6:i+j]))
		plain = plain[:i] + plain[i+6:i+j] + plain[i+j+7:]
	}
	if strings.ContainsAny(plain, "<>\"") {
		t.Errorf("%s: unescaped markup in %q", field, frag)
	}
	text := strings.Trim(html.UnescapeString(plain), "… ")
	if !strings.Contains(orig, text) {
		t.Errorf("%s: fragment text %q is not in the original %q", field, text, orig)
	}
	return marked
}

func fieldText(d *indexer.Doc, field string) string {
	return map[string]string{"title": d.Title, "summary": d.Summary, "keywords": d.Keywords,
		"applications": d.Applications, "advantages": d.Advantages, "body": d.Body}[field]
}

func testHighlights(t *testing.T, idx indexer.Index) {
	for _, tc := range []struct {
		query, id, field string
		marked           []string
		page             int
	}{
		{"máy sấy", docSayCom.ID, "title", []string{"Máy", "sấy"}, 0},
		{"may say", docSayCom.ID, "title", []string{"Máy", "sấy"}, 0}, // folded field matched: original words marked
		{"hoà giải", docHoaGiai.ID, "title", []string{"Hòa", "giải"}, 0},
		{`"dao on"`, docDaoOn.ID, "title", []string{"đạo", "ôn"}, 0},
		{"script", docScript.ID, "title", []string{"script", "script"}, 0},
		{"độ ẩm 18%", docSayCom.ID, "body", []string{"độ", "ẩm", "18"}, 2},
	} {
		res := search(t, idx, &indexer.SearchRequest{Query: q(tc.query), Highlight: true, Size: 100})
		i := slices.IndexFunc(res.Hits, func(h indexer.Hit) bool { return h.ID == tc.id })
		if i < 0 {
			t.Errorf("%q: %s not found", tc.query, tc.id)
			continue
		}
		h := res.Hits[i]
		d := docByID(h.ID)
		for field, frags := range h.Fragments {
			for _, f := range frags {
				checkFragment(t, field, f, fieldText(d, field))
			}
		}
		if len(h.Fragments[tc.field]) == 0 {
			t.Errorf("%q: no %s fragment in %v", tc.query, tc.field, h.Fragments)
			continue
		}
		marked := checkFragment(t, tc.field, h.Fragments[tc.field][0], fieldText(d, tc.field))
		if !slices.Equal(marked, tc.marked) {
			t.Errorf("%q: marked %q in %q, want %q", tc.query, marked, h.Fragments[tc.field][0], tc.marked)
		}
		if tc.page != 0 && h.Page != tc.page {
			t.Errorf("%q: page %d, want %d", tc.query, h.Page, tc.page)
		}
	}
	// The script title is escaped.
	res := search(t, idx, &indexer.SearchRequest{Query: q("tấn công XSS"), Highlight: true})
	if len(res.Hits) == 0 || res.Hits[0].ID != docScript.ID {
		t.Fatalf("tấn công XSS: got %v", ids(res))
	}
	title := res.Hits[0].Fragments["title"]
	if len(title) != 1 || !strings.Contains(title[0], "&lt;script&gt;") || strings.Contains(title[0], "<script") ||
		!strings.Contains(title[0], "&amp;") {
		t.Errorf("script title fragment: %q", title)
	}
	// Every hit of a later page is highlighted too.
	pq := q("công nghệ sản xuất chế biến thủy sản lúa cá bảo quản nông thôn nấm hoa")
	for from := 0; from < 12; from += 4 {
		res := search(t, idx, &indexer.SearchRequest{Query: pq, From: from, Size: 4, Highlight: true})
		for _, h := range res.Hits {
			if len(h.Fragments) == 0 || len(h.MatchedTerms) == 0 {
				t.Errorf("page at %d: %s has fragments %v, matched terms %v", from, h.ID, h.Fragments, h.MatchedTerms)
			}
		}
	}
	// No highlight asked, no fragments.
	res = search(t, idx, &indexer.SearchRequest{Query: q("máy sấy")})
	for _, h := range res.Hits {
		if len(h.Fragments) != 0 {
			t.Errorf("fragments without Highlight: %v", h.Fragments)
		}
	}
}

func testMatchedTerms(t *testing.T, idx indexer.Index) {
	res := search(t, idx, &indexer.SearchRequest{Query: q(`may Sấy xyzqw "cá cơm"`), Highlight: true})
	if len(res.Hits) == 0 || res.Hits[0].ID != docSayCom.ID {
		t.Fatalf("got %v", ids(res))
	}
	got := sorted(res.Hits[0].MatchedTerms)
	if want := sorted([]string{"may", "Sấy", "cá cơm"}); !slices.Equal(got, want) {
		t.Errorf("MatchedTerms %q, want %q", got, want)
	}
}

// testScoresOnly: a ranking without what a list shows has the same hits in the same order with the same
// scores, and nothing else.
func testScoresOnly(t *testing.T, idx indexer.Index) {
	for _, text := range []string{"máy sấy cá cơm", "xử lý nước thải", `"cá cơm" -mực`} {
		full := search(t, idx, &indexer.SearchRequest{Query: q(text), Size: 20})
		bare := search(t, idx, &indexer.SearchRequest{Query: q(text), Size: 20, ScoresOnly: true})
		if len(full.Hits) == 0 || len(bare.Hits) != len(full.Hits) || bare.Total != full.Total {
			t.Fatalf("%q: %d hits (total %d), ranked alone %d (total %d)", text, len(full.Hits), full.Total, len(bare.Hits), bare.Total)
		}
		for i, h := range bare.Hits {
			if h.ID != full.Hits[i].ID || h.Score != full.Hits[i].Score {
				t.Errorf("%q #%d: %s %g, want %s %g", text, i, h.ID, h.Score, full.Hits[i].ID, full.Hits[i].Score)
			}
			if h.Title != "" || len(h.MatchedTerms) > 0 || len(h.Fragments) > 0 {
				t.Errorf("%q #%d: shown fields in a scores-only hit: %+v", text, i, h)
			}
		}
	}
}

// testOnlyIDs: restricting a search to some documents keeps their scores (to rounding) and order.
func testOnlyIDs(t *testing.T, idx indexer.Index) {
	for _, text := range []string{"máy sấy cá cơm", "công nghệ xử lý"} {
		full := search(t, idx, &indexer.SearchRequest{Query: q(text), Size: 20})
		if len(full.Hits) < 3 {
			t.Fatalf("%q: %d hits", text, len(full.Hits))
		}
		some := []string{full.Hits[2].ID, full.Hits[0].ID, "no-such-id"}
		only := search(t, idx, &indexer.SearchRequest{Query: q(text), Size: 20, IDs: some, Highlight: true})
		if len(only.Hits) != 2 || only.Total != 2 {
			t.Fatalf("%q restricted to %v: %v (total %d)", text, some, ids(only), only.Total)
		}
		for i, want := range []indexer.Hit{full.Hits[0], full.Hits[2]} {
			// The same score, but for the order of a floating-point sum.
			if got := only.Hits[i]; got.ID != want.ID || math.Abs(got.Score-want.Score) > 1e-9*want.Score || got.Title != want.Title || len(got.MatchedTerms) == 0 {
				t.Errorf("%q #%d: %s %g %v, want %s %g", text, i, got.ID, got.Score, got.MatchedTerms, want.ID, want.Score)
			}
		}
	}
}

func testDeletes(t *testing.T, open func(t *testing.T, dir string) indexer.Index) {
	idx := open(t, filepath.Join(t.TempDir(), "del"))
	defer idx.Close()
	docs := corpusDocs()
	apply(t, idx, &indexer.Batch{Put: docs, Seq: 1})
	facets := []string{indexer.FacetOrganization, indexer.FacetYear}
	before := search(t, idx, &indexer.SearchRequest{Query: q("máy sấy"), Facets: facets})
	if rank(ids(before), docSayCom.ID) < 0 {
		t.Fatalf("before delete: %v", ids(before))
	}
	apply(t, idx, &indexer.Batch{Delete: []string{docSayCom.ID, "no-such-id"}, Seq: 2})
	after := search(t, idx, &indexer.SearchRequest{Query: q("máy sấy"), Facets: facets})
	if rank(ids(after), docSayCom.ID) >= 0 {
		t.Errorf("deleted document still found: %v", ids(after))
	}
	org := facetMap(after.Facets[indexer.FacetOrganization])
	if org[docSayCom.Organization] != facetMap(before.Facets[indexer.FacetOrganization])[docSayCom.Organization]-1 {
		t.Errorf("organization facet after delete: %v (before %v)", org, before.Facets[indexer.FacetOrganization])
	}
	empty := search(t, idx, &indexer.SearchRequest{Facets: facets, FacetSize: 100})
	if got := facetMap(empty.Facets[indexer.FacetYear])["2021"]; got != 1 { // docDenLED is left
		t.Errorf("year facet 2021 after delete: %d, want 1", got)
	}
	if n, err := idx.Count(); err != nil || n != uint64(len(docs)-1) {
		t.Errorf("Count after delete: %d, %v; want %d", n, err, len(docs)-1)
	}
	// A put replaces the document: the old words are gone.
	changed := *docByID(docNano.ID)
	changed.Title = "Màng bọc sinh học từ vỏ tôm"
	apply(t, idx, &indexer.Batch{Put: []indexer.Doc{changed}, Seq: 3})
	if got := find(t, idx, `"nano bạc"`); rank(got, docNano.ID) >= 0 {
		t.Errorf("old title still found after replace: %v", got)
	}
	if got := find(t, idx, `"màng bọc"`); rank(got, docNano.ID) < 0 {
		t.Errorf("new title not found after replace: %v", got)
	}
}

func testPersistence(t *testing.T, open func(t *testing.T, dir string) indexer.Index) {
	dir := filepath.Join(t.TempDir(), "seq")
	idx := open(t, dir)
	if seq, err := idx.AppliedSeq(); err != nil || seq != 0 {
		t.Errorf("new index: AppliedSeq %d, %v", seq, err)
	}
	apply(t, idx, &indexer.Batch{Put: corpusDocs()[:5], Seq: 42})
	if seq, err := idx.AppliedSeq(); err != nil || seq != 42 {
		t.Errorf("AppliedSeq %d, %v; want 42", seq, err)
	}
	if err := idx.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := idx.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := idx.AppliedSeq(); !errors.Is(err, indexer.ErrClosed) {
		t.Errorf("AppliedSeq after Close: %v, want ErrClosed", err)
	}
	if _, err := idx.Search(context.Background(), &indexer.SearchRequest{}); !errors.Is(err, indexer.ErrClosed) {
		t.Errorf("Search after Close: %v, want ErrClosed", err)
	}
	if err := idx.Apply(context.Background(), &indexer.Batch{Seq: 50}); !errors.Is(err, indexer.ErrClosed) {
		t.Errorf("Apply after Close: %v, want ErrClosed", err)
	}

	idx = open(t, dir)
	defer idx.Close()
	if seq, err := idx.AppliedSeq(); err != nil || seq != 42 {
		t.Errorf("after reopen: AppliedSeq %d, %v; want 42", seq, err)
	}
	if n, err := idx.Count(); err != nil || n != 5 {
		t.Errorf("after reopen: Count %d, %v; want 5", n, err)
	}
	if got := find(t, idx, "may say ca com"); rank(got, docSayCom.ID) != 0 {
		t.Errorf("after reopen: search got %v", got)
	}
	apply(t, idx, &indexer.Batch{Delete: []string{docSayCom.ID}}) // Seq 0 leaves it
	if seq, _ := idx.AppliedSeq(); seq != 42 {
		t.Errorf("after a batch without Seq: %d, want 42", seq)
	}
	apply(t, idx, &indexer.Batch{Seq: 43}) // a batch may carry only the sequence number
	if seq, _ := idx.AppliedSeq(); seq != 43 {
		t.Errorf("after an empty batch with Seq 43: %d", seq)
	}
	if size, err := idx.DiskSize(); err != nil || size <= 0 {
		t.Errorf("DiskSize %d, %v", size, err)
	}
}
