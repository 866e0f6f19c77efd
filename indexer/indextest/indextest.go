// Package indextest is the conformance suite of indexer.Index: every backend runs Run unchanged, so that the
// server and the matcher can rely on the same behaviour whatever the backend (diacritics, phrases, clauses,
// filters, facets, paging, deletes, confidentiality, persistence, highlights).
package indextest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/indexer"
)

// Opener opens (creating if needed) the backend's index in dir. The suite calls it again on the same dir
// after Close to check persistence.
type Opener func(t *testing.T, dir string) indexer.Index

// Run runs the conformance suite against a backend.
func Run(t *testing.T, open func(t *testing.T, dir string) indexer.Index) {
	dir := filepath.Join(t.TempDir(), "shared")
	idx := open(t, dir)
	t.Cleanup(func() { idx.Close() })
	apply(t, idx, &indexer.Batch{Put: corpusDocs(), Seq: 1})

	shared := []struct {
		name string
		fn   func(*testing.T, indexer.Index)
	}{
		{"Unaccented", testUnaccented},
		{"ExactDiacriticsFirst", testExactFirst},
		{"NFDQueryEqualsNFC", testNFD},
		{"TonePlacement", testTonePlacement},
		{"Phrases", testPhrases},
		{"LongQueryPhrases", testLongQueryPhrases},
		{"Excluded", testExcluded},
		{"Clauses", testClauses},
		{"Filters", testFilters},
		{"Facets", testFacets},
		{"Paging", testPaging},
		{"Confidentiality", testConfidentiality},
		{"EmptyQuery", testEmptyQuery},
		{"Expansions", testExpansions},
		{"MaxTerms", testMaxTerms},
		{"Suggestions", testSuggestions},
		{"Highlights", testHighlights},
		{"MatchedTerms", testMatchedTerms},
		{"ScoresOnly", testScoresOnly},
		{"OnlyIDs", testOnlyIDs},
	}
	for _, s := range shared {
		t.Run(s.name, func(t *testing.T) { s.fn(t, idx) })
	}
	t.Run("Deletes", func(t *testing.T) { testDeletes(t, open) })
	t.Run("Persistence", func(t *testing.T) { testPersistence(t, open) })
}

func apply(t *testing.T, idx indexer.Index, b *indexer.Batch) {
	t.Helper()
	if err := idx.Apply(context.Background(), b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func search(t *testing.T, idx indexer.Index, req *indexer.SearchRequest) *indexer.SearchResult {
	t.Helper()
	res, err := idx.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req.Query, err)
	}
	return res
}

func q(s string) indexer.Query { return indexer.ParseQuery(s) }

func ids(res *indexer.SearchResult) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.ID
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// find runs a query (up to 100 hits) and returns the hit IDs in rank order.
func find(t *testing.T, idx indexer.Index, query string, mod ...func(*indexer.SearchRequest)) []string {
	t.Helper()
	req := &indexer.SearchRequest{Query: q(query), Size: 100}
	for _, m := range mod {
		m(req)
	}
	return ids(search(t, idx, req))
}

func rank(list []string, id string) int { return slices.Index(list, id) }

func testUnaccented(t *testing.T, idx indexer.Index) {
	for _, tc := range []struct{ query, want string }{
		{"may say ca com", docSayCom.ID},
		{"MAY SAY CA COM", docSayCom.ID},
		{"chan doan dao on", docDaoOn.ID},
		{"xu ly nuoc thai thuy san", docNuocThai.ID},
		{"giong lua chiu man", docLuaMan.ID},
	} {
		got := find(t, idx, tc.query)
		if len(got) == 0 || got[0] != tc.want {
			t.Errorf("%q: got %v, want %s first", tc.query, got, tc.want)
		}
	}
}

func testExactFirst(t *testing.T, idx indexer.Index) {
	got := find(t, idx, "hòa")
	if rank(got, docHoaGiai.ID) != 0 {
		t.Errorf("hòa: got %v, want %s first", got, docHoaGiai.ID)
	}
	// Unaccented and differently accented spellings are still found, below.
	for _, id := range []string{docHoaLan.ID, docPhanBon.ID} {
		if rank(got, id) < 1 {
			t.Errorf("hòa: %s missing from %v", id, got)
		}
	}
	got = find(t, idx, "hoa lan")
	if rank(got, docHoaLan.ID) != 0 {
		t.Errorf("hoa lan: got %v, want %s first", got, docHoaLan.ID)
	}
	// A query with diacritics prefers the document spelled that way over one that is not.
	got = find(t, idx, "hoá học")
	if rank(got, docPhanBon.ID) != 0 {
		t.Errorf("hoá học: got %v, want %s first", got, docPhanBon.ID)
	}
}

func testNFD(t *testing.T, idx indexer.Index) {
	for _, s := range []string{"máy sấy cá cơm", "Hòa giải", `"đạo ôn" lúa`, "bảo quản -màng"} {
		nfc := find(t, idx, s)
		nfdParsed := find(t, idx, norm.NFD.String(s))
		// A caller may also build the Query itself, without ParseQuery's normalisation.
		raw := ids(search(t, idx, &indexer.SearchRequest{Size: 100, Query: nfdQuery(q(s))}))
		if len(nfc) == 0 || !slices.Equal(nfc, nfdParsed) || !slices.Equal(nfc, raw) {
			t.Errorf("%q: NFC %v, NFD parsed %v, NFD raw %v", s, nfc, nfdParsed, raw)
		}
	}
}

func nfdQuery(qq indexer.Query) indexer.Query {
	f := func(s []string) []string {
		out := make([]string, len(s))
		for i, v := range s {
			out[i] = norm.NFD.String(v)
		}
		return out
	}
	return indexer.Query{Terms: f(qq.Terms), Phrases: f(qq.Phrases), Excluded: f(qq.Excluded), Clauses: qq.Clauses}
}

func testTonePlacement(t *testing.T, idx indexer.Index) {
	for _, s := range []string{"hoà giải", "hòa giải", `"hoà giải"`, "HOÀ GIẢI"} {
		got := find(t, idx, s)
		if rank(got, docHoaGiai.ID) != 0 {
			t.Errorf("%q: got %v, want %s first", s, got, docHoaGiai.ID)
		}
	}
}

func testPhrases(t *testing.T, idx indexer.Index) {
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{`"sấy cá"`, []string{docSayCom.ID}},
		{`"say ca"`, []string{docSayCom.ID}}, // folded
		{`"cá sấy"`, []string{docCaSay.ID}},  // reversed order is another phrase
		{`"sấy cá ngừ"`, nil},                // "sấy khô cá ngừ": other words between
		{`"sấy khô cá ngừ"`, []string{docSayKhoCa.ID}},
		{`"sấy cá" năng lượng`, []string{docSayCom.ID}}, // the phrase is required, the terms only rank
		{`"đạo ôn" "chịu mặn"`, nil},                    // every phrase is required
		{`"Đạo Ôn"`, []string{docDaoOn.ID}},
		// A phrase with diacritics matches those diacritics; without, any.
		{`"hóa học"`, []string{docPhanBon.ID}},
		{`"hoa học"`, []string{docHoaLan.ID}},
		{`"hoa hoc"`, []string{docHoaLan.ID, docPhanBon.ID}},
	} {
		got := sorted(find(t, idx, tc.query))
		if !slices.Equal(got, sorted(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
}

// testLongQueryPhrases: in a long query (pasted text) the phrases rank and select nothing.
func testLongQueryPhrases(t *testing.T, idx indexer.Index) {
	// No document has "sấy cá ngừ": the words find the one with "sấy khô cá ngừ" first.
	got := find(t, idx, `quy trình "sấy cá ngừ" đại dương bằng bức xạ hồng ngoại giữ màu đỏ`)
	if rank(got, docSayKhoCa.ID) != 0 {
		t.Errorf("long query with a phrase no document has: got %v, want %s first", got, docSayKhoCa.ID)
	}
	// The document with the phrase first, the one with only the words still found.
	got = find(t, idx, `"sấy cá" khô ăn liền bảo quản sáu tháng nhiệt độ thường`)
	if rank(got, docSayCom.ID) < 0 || rank(got, docCaSay.ID) < 0 {
		t.Errorf("long query: got %v, want both %s (the phrase) and %s (the words)", got, docSayCom.ID, docCaSay.ID)
	}
}

func testExcluded(t *testing.T, idx indexer.Index) {
	base := find(t, idx, "lúa")
	if rank(base, docDaoOn.ID) < 0 || rank(base, docLuaMan.ID) < 0 {
		t.Fatalf("lúa: got %v, want both rice documents", base)
	}
	for _, tc := range []struct{ query, gone, kept string }{
		{"lúa -mặn", docLuaMan.ID, docDaoOn.ID},
		{"lúa -man", docLuaMan.ID, docDaoOn.ID}, // excluded words are folded
		{`lúa -"đạo ôn"`, docDaoOn.ID, docLuaMan.ID},
		{"-lúa chẩn đoán", docDaoOn.ID, ""},
	} {
		got := find(t, idx, tc.query)
		if rank(got, tc.gone) >= 0 || (tc.kept != "" && rank(got, tc.kept) < 0) {
			t.Errorf("%s: got %v, want %s gone and %q kept", tc.query, got, tc.gone, tc.kept)
		}
	}
	// Only exclusions: everything else that passes the filters, listed like the empty query (newest first).
	res := search(t, idx, &indexer.SearchRequest{Query: q("-lúa"), Size: 100})
	got := ids(res)
	if rank(got, docDaoOn.ID) >= 0 || rank(got, docSayCom.ID) < 0 || len(got) != 13 {
		t.Errorf("-lúa: got %v", got)
	}
	checkOrder(t, res.Hits, "", true)
}

func testClauses(t *testing.T, idx indexer.Index) {
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{`tác_giả:"Nguyễn Văn An"`, []string{docSayCom.ID}},
		{`tac_gia:"nguyen van an"`, []string{docSayCom.ID}},
		{`tác_giả:"Nguyễn Văn Bình"`, []string{docLuaMan.ID}},
		{`cơ_quan:"Quy Nhơn"`, []string{docSayCom.ID, docNano.ID, docDenLED.ID}},
		{`co_quan:"dai hoc quy nhon"`, []string{docSayCom.ID, docNano.ID}},
		{`cơ_quan:"Đại học Quy Nhơn" bảo quản`, []string{docSayCom.ID, docNano.ID}},
		{`tiêu_đề:lúa`, []string{docDaoOn.ID, docLuaMan.ID}},
		{`năm:2023`, []string{docLuaMan.ID, docPin.ID}},
		{`năm:2021..2022`, []string{docSayCom.ID, docDaoOn.ID, docNuocThai.ID, docDenLED.ID}},
		{`năm:2024..`, []string{docScript.ID}},
		{`năm:..2017`, []string{docCaSay.ID}},
	} {
		got := sorted(find(t, idx, tc.query))
		if !slices.Equal(got, sorted(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.query, got, sorted(tc.want))
		}
	}
	// A clause is required, and beside clauses alone at least one plain term must match.
	got := find(t, idx, "nước thải năm:2022")
	if len(got) != 1 || got[0] != docNuocThai.ID {
		t.Errorf("nước thải năm:2022: got %v, want [%s]", got, docNuocThai.ID)
	}
}

func testFilters(t *testing.T, idx indexer.Index) {
	docs := corpusDocs()
	for _, tc := range []struct {
		name string
		req  indexer.SearchRequest
	}{
		{"field", indexer.SearchRequest{FieldCodes: []string{"4"}}},
		{"field leaf", indexer.SearchRequest{FieldCodes: []string{"202", "205"}}},
		{"sector", indexer.SearchRequest{Sectors: []string{"A"}}},
		{"sector 4 digits", indexer.SearchRequest{Sectors: []string{"1020"}}},
		{"ip status", indexer.SearchRequest{IPStatus: []string{"patent", "plant_variety"}}},
		{"transfer form", indexer.SearchRequest{TransferForms: []string{"equipment"}}},
		{"organization", indexer.SearchRequest{Organizations: []string{"Trường Đại học Quy Nhơn"}}},
		{"locality", indexer.SearchRequest{Localities: []string{"quy-nhon"}}},
		{"province", indexer.SearchRequest{Provinces: []string{"gia-lai"}}},
		{"legacy province", indexer.SearchRequest{Provinces: []string{"binh-dinh", "tra-vinh"}}},
		{"year min", indexer.SearchRequest{YearMin: 2021}},
		{"year max", indexer.SearchRequest{YearMax: 2019}},
		{"year range", indexer.SearchRequest{YearMin: 2020, YearMax: 2021}},
		{"trl min", indexer.SearchRequest{TRLMin: 7}},
		{"trl range", indexer.SearchRequest{TRLMin: 5, TRLMax: 6}},
		{"exclude ids", indexer.SearchRequest{ExcludeIDs: []string{docSayCom.ID, docPin.ID}}},
		{"only ids", indexer.SearchRequest{IDs: []string{docSayCom.ID, docPin.ID, "no-such-id"}}},
		{"only ids and exclude", indexer.SearchRequest{IDs: []string{docSayCom.ID, docPin.ID}, ExcludeIDs: []string{docPin.ID}}},
		{"kinds", indexer.SearchRequest{Kinds: []string{indexer.KindNeed}}},
		{"kinds both", indexer.SearchRequest{Kinds: []string{indexer.KindResult, indexer.KindNeed}, Sectors: []string{"C"}}},
		{"combined", indexer.SearchRequest{Sectors: []string{"C"}, TRLMin: 5, Provinces: []string{"binh-dinh"},
			TransferForms: []string{"equipment", "joint_development"}}},
		{"nothing", indexer.SearchRequest{IPStatus: []string{"no-such-status"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Size = 100
			want := refIDs(docs, &req)
			if got := sorted(ids(search(t, idx, &req))); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			// Filters do not change which documents a text query finds among those passing.
			req.Query = q("công nghệ")
			for _, id := range ids(search(t, idx, &req)) {
				if !slices.Contains(want, id) {
					t.Errorf("text query returned %s, which fails the filters", id)
				}
			}
		})
	}
}

var allFacets = []string{indexer.FacetKind, indexer.FacetField, indexer.FacetSector, indexer.FacetYear,
	indexer.FacetOrganization, indexer.FacetTRL, indexer.FacetIPStatus, indexer.FacetTransferForm,
	indexer.FacetLocality, indexer.FacetProvince}

func facetMap(fc []indexer.FacetCount) map[string]int {
	m := map[string]int{}
	for _, c := range fc {
		m[c.Value] = c.Count
	}
	return m
}

func testFacets(t *testing.T, idx indexer.Index) {
	docs := corpusDocs()
	for _, tc := range []struct {
		name string
		req  indexer.SearchRequest
	}{
		{"no filters", indexer.SearchRequest{}},
		{"sector and year", indexer.SearchRequest{Sectors: []string{"A"}, YearMin: 2020}},
		{"every filter", indexer.SearchRequest{Kinds: []string{indexer.KindResult, indexer.KindNeed},
			FieldCodes: []string{"2"}, Sectors: []string{"C"}, IPStatus: []string{"utility_solution", "filed"},
			TransferForms: []string{"equipment", "joint_development"}, Organizations: []string{"Trường Đại học Quy Nhơn"},
			Localities: []string{"quy-nhon", "an-nhon"}, Provinces: []string{"binh-dinh"}, YearMin: 2020, YearMax: 2022,
			TRLMin: 5, TRLMax: 6}},
		{"needs", indexer.SearchRequest{Kinds: []string{indexer.KindNeed}, Sectors: []string{"C"}}},
		{"needs broker", indexer.SearchRequest{Kinds: []string{indexer.KindNeed},
			Confidentiality: []string{"public", "anonymised", "broker_only"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Facets, req.FacetSize, req.Size = allFacets, 100, 100
			res := search(t, idx, &req)
			if got, want := sorted(ids(res)), refIDs(docs, &req); !slices.Equal(got, want) {
				t.Fatalf("hits %v, want %v", got, want)
			}
			for _, f := range allFacets {
				got, want := facetMap(res.Facets[f]), refFacet(docs, &req, f)
				if !maps.Equal(got, want) {
					t.Errorf("facet %s: got %v, want %v", f, got, want)
				}
			}
		})
	}
	// FacetSize limits the values, keeping the largest counts.
	res := search(t, idx, &indexer.SearchRequest{Facets: []string{indexer.FacetSector}, FacetSize: 2})
	fc := res.Facets[indexer.FacetSector]
	want := refFacet(docs, &indexer.SearchRequest{}, indexer.FacetSector)
	if len(fc) != 2 || fc[0].Count < fc[1].Count || fc[0].Count != slices.Max(slices.Collect(maps.Values(want))) {
		t.Errorf("sector facet of size 2: got %v (all counts %v)", fc, want)
	}
	// Facets follow the text query too.
	res = search(t, idx, &indexer.SearchRequest{Query: q(`"sấy cá"`), Facets: []string{indexer.FacetYear}})
	if got := facetMap(res.Facets[indexer.FacetYear]); !maps.Equal(got, map[string]int{"2021": 1}) {
		t.Errorf(`year facet for "sấy cá": got %v`, got)
	}
}

func testPaging(t *testing.T, idx indexer.Index) {
	for _, query := range []string{"", "công nghệ sản xuất chế biến thủy sản lúa cá bảo quản nông thôn nấm hoa"} {
		for _, sort := range []string{"", "year", "-year", "trl", "-trl"} {
			t.Run(fmt.Sprintf("%q/%s", query, sort), func(t *testing.T) {
				full := search(t, idx, &indexer.SearchRequest{Query: q(query), Sort: sort, Size: 100})
				if len(full.Hits) < 12 {
					t.Fatalf("only %d hits; the test needs 12", len(full.Hits))
				}
				if full.Total != uint64(len(full.Hits)) {
					t.Errorf("Total %d, %d hits", full.Total, len(full.Hits))
				}
				var paged []string
				for from := 0; from < 12; from += 4 {
					res := search(t, idx, &indexer.SearchRequest{Query: q(query), Sort: sort, From: from, Size: 4})
					if res.Total != full.Total {
						t.Errorf("page at %d: Total %d, want %d", from, res.Total, full.Total)
					}
					paged = append(paged, ids(res)...)
				}
				if want := ids(full)[:12]; !slices.Equal(paged, want) {
					t.Errorf("pages %v, want %v", paged, want)
				}
				// Cursor paging walks the whole list, in order, each hit once.
				var walked []string
				after := ""
				for range len(full.Hits) {
					res := search(t, idx, &indexer.SearchRequest{Query: q(query), Sort: sort, Size: 5, After: after})
					if res.Total != full.Total {
						t.Errorf("cursor page: Total %d, want %d", res.Total, full.Total)
					}
					walked = append(walked, ids(res)...)
					if after = res.Next; after == "" {
						break
					}
				}
				if !slices.Equal(walked, ids(full)) {
					t.Errorf("cursor pages %v, want %v", walked, ids(full))
				}
				other := "year"
				if sort == "year" {
					other = "trl"
				}
				first := search(t, idx, &indexer.SearchRequest{Query: q(query), Sort: sort, Size: 5})
				for _, bad := range []string{"!!", "e30", first.Next} {
					s := sort
					if bad == first.Next {
						s = other // a cursor made for another order
					}
					_, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: q(query), Sort: s, Size: 5, After: bad})
					if !errors.Is(err, indexer.ErrBadCursor) {
						t.Errorf("cursor %q with sort %q: err %v, want ErrBadCursor", bad, s, err)
					}
				}
				checkOrder(t, full.Hits, sort, query == "")
			})
		}
	}
}

// checkOrder checks the sort key order; documents without the key come last.
func checkOrder(t *testing.T, hits []indexer.Hit, sort string, empty bool) {
	t.Helper()
	key := func(h indexer.Hit) int {
		if strings.HasSuffix(sort, "trl") {
			return h.TRL
		}
		return h.Year
	}
	desc := strings.HasPrefix(sort, "-") || (sort == "" && empty)
	if sort == "" && !empty {
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Errorf("score order broken at %d: %v > %v", i, hits[i].Score, hits[i-1].Score)
			}
		}
		return
	}
	for i := 1; i < len(hits); i++ {
		a, b := key(hits[i-1]), key(hits[i])
		switch {
		case b == 0:
		case a == 0:
			t.Errorf("%s: %s without a value before %s", sort, hits[i-1].ID, hits[i].ID)
		case desc && a < b, !desc && a > b:
			t.Errorf("%s: %s (%d) before %s (%d)", sort, hits[i-1].ID, a, hits[i].ID, b)
		}
	}
}

func testConfidentiality(t *testing.T, idx indexer.Index) {
	needs := func(r []string) []string {
		var out []string
		for _, id := range r {
			if strings.HasPrefix(id, "nc-") {
				out = append(out, id)
			}
		}
		return sorted(out)
	}
	all := []string{"public", "anonymised", "broker_only"}
	kinds := func(k ...string) func(*indexer.SearchRequest) { return func(r *indexer.SearchRequest) { r.Kinds = k } }
	conf := func(c ...string) func(*indexer.SearchRequest) {
		return func(r *indexer.SearchRequest) { r.Confidentiality = c }
	}
	for _, tc := range []struct {
		name  string
		query string
		mods  []func(*indexer.SearchRequest)
		want  []string
	}{
		{"default kinds", "máy sấy", nil, nil},
		{"needs", "", []func(*indexer.SearchRequest){kinds(indexer.KindNeed)}, []string{needPublic.ID, needAnon.ID}},
		{"needs by text", "máy sấy cá cơm", []func(*indexer.SearchRequest){kinds(indexer.KindResult, indexer.KindNeed)}, nil},
		{"needs allowed", "máy sấy", []func(*indexer.SearchRequest){kinds(indexer.KindNeed), conf(all...)}, []string{needBroker.ID}},
		{"public only", "", []func(*indexer.SearchRequest){kinds(indexer.KindNeed), conf("public")}, []string{needPublic.ID}},
	} {
		got := needs(find(t, idx, tc.query, tc.mods...))
		if !slices.Equal(got, sorted(tc.want)) {
			t.Errorf("%s: needs %v, want %v", tc.name, got, tc.want)
		}
	}
	// Never counted either: the kind facet with default confidentiality sees two needs.
	res := search(t, idx, &indexer.SearchRequest{Facets: []string{indexer.FacetKind, indexer.FacetLocality},
		Kinds: []string{indexer.KindNeed}})
	if got := facetMap(res.Facets[indexer.FacetKind]); got[indexer.KindNeed] != 2 {
		t.Errorf("kind facet: got %v, want 2 needs", got)
	}
	if got := facetMap(res.Facets[indexer.FacetLocality]); got["quy-nhon"] != 1 || got["an-nhon"] != 1 {
		t.Errorf("locality facet over needs: got %v, want quy-nhon 1, an-nhon 1", got)
	}
}

func testEmptyQuery(t *testing.T, idx indexer.Index) {
	req := &indexer.SearchRequest{Sectors: []string{"A"}, Size: 100}
	res := search(t, idx, req)
	if got, want := sorted(ids(res)), refIDs(corpusDocs(), req); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	checkOrder(t, res.Hits, "", true)
	if res.Total != uint64(len(res.Hits)) {
		t.Errorf("Total %d for %d hits", res.Total, len(res.Hits))
	}
	// Hits carry what a list shows.
	for _, h := range search(t, idx, &indexer.SearchRequest{Query: q(`"sấy cá"`)}).Hits {
		if h.Title != docSayCom.Title || h.Organization != docSayCom.Organization || h.Year != 2021 ||
			h.TRL != 6 || h.Kind != indexer.KindResult {
			t.Errorf("hit fields: %+v", h)
		}
	}
	// Nothing searchable typed behaves as the empty query: punctuation, and combining marks with no letter
	// (NFD text pasted after an emoji or a space), which no analysed key keeps; a word beside them is
	// searched as on its own, a phrase or an exclusion of them asks for nothing.
	all := len(refIDs(corpusDocs(), &indexer.SearchRequest{}))
	for _, query := range []string{" ,;!? ", "\u0301", "🙂\u0301\u0323", "\"\u0300\"", "-\u0301"} {
		if got := find(t, idx, query); len(got) != all {
			t.Errorf("%q: %d hits, want all %d", query, len(got), all)
		}
	}
	if got, want := find(t, idx, "chitosan \u0301"), find(t, idx, "chitosan"); !slices.Equal(got, want) {
		t.Errorf("chitosan with a stray mark: %v, want %v", got, want)
	}
	if got, want := find(t, idx, "chitosan \"\u0301\""), find(t, idx, "chitosan"); !slices.Equal(got, want) {
		t.Errorf("chitosan with a phrase of a stray mark: %v, want %v", got, want)
	}
}

// testExpansions: an added word finds documents the typed words miss, ranked below the ones the typed words
// find, and a query of expansions alone still searches.
func testExpansions(t *testing.T, idx indexer.Index) {
	qq := q("chitosan")
	qq.Expansions = []indexer.Expansion{{Text: "đèn LED", Weight: 0.3}}
	got := ids(search(t, idx, &indexer.SearchRequest{Query: qq, Size: 20}))
	if rank(got, docNano.ID) != 0 || rank(got, docDenLED.ID) < 1 {
		t.Errorf("chitosan + expansion đèn LED: got %v, want %s first and %s after", got, docNano.ID, docDenLED.ID)
	}
	only := indexer.Query{Expansions: []indexer.Expansion{{Text: "tái chế pin", Weight: 0.5}}}
	got = ids(search(t, idx, &indexer.SearchRequest{Query: only, Size: 20}))
	if len(got) == 0 || got[0] != docPin.ID {
		t.Errorf("expansion alone: got %v, want %s first", got, docPin.ID)
	}
	// A zero-weight expansion is ignored: the typed word alone decides.
	qq.Expansions = []indexer.Expansion{{Text: "đèn LED", Weight: 0}}
	if got = ids(search(t, idx, &indexer.SearchRequest{Query: qq, Size: 20})); rank(got, docDenLED.ID) >= 0 {
		t.Errorf("zero-weight expansion: got %v, %s should not be found", got, docDenLED.ID)
	}
}

// testMaxTerms: a long query ranks by its rarest known syllables only.
func testMaxTerms(t *testing.T, idx indexer.Index) {
	qq := indexer.Query{Terms: []string{"xyzzyq", "cá", "chitosan", "sấy"}, MaxTerms: 1}
	got := ids(search(t, idx, &indexer.SearchRequest{Query: qq, Size: 20}))
	if len(got) != 1 || got[0] != docNano.ID {
		t.Errorf("MaxTerms 1 of [xyzzyq cá chitosan sấy]: got %v, want only %s", got, docNano.ID)
	}
	qq.MaxTerms = 0
	if got = ids(search(t, idx, &indexer.SearchRequest{Query: qq, Size: 20})); len(got) < 3 {
		t.Errorf("MaxTerms 0: got %v, want every document with cá, chitosan or sấy", got)
	}
}

// testSuggestions: a misspelt word gets the nearest indexed word, accented or not as typed, and never one
// that only a document the caller may not see contains.
func testSuggestions(t *testing.T, idx indexer.Index) {
	suggest := func(query string, mod func(*indexer.SearchRequest)) []indexer.Correction {
		req := &indexer.SearchRequest{Query: q(query), Size: 10}
		if mod != nil {
			mod(req)
		}
		return search(t, idx, req).Corrections
	}
	for _, tc := range []struct {
		query string
		mod   func(*indexer.SearchRequest)
		want  []indexer.Correction
	}{
		{"màng chitossan", nil, []indexer.Correction{{Word: "chitossan", Suggestion: "chitosan"}}},
		{"mang chitosam", nil, []indexer.Correction{{Word: "chitosam", Suggestion: "chitosan"}}},
		{"chitosan", nil, nil},     // spelt right
		{"xyzzyqwv", nil, nil},     // nothing near
		{"máy sấy 2025", nil, nil}, // numbers are not corrected
		{"sấy tuynenn", nil, nil},  // "tuynen" is only in a broker_only need
		{"sấy tuynenn", func(r *indexer.SearchRequest) { // which a broker searching needs may see
			r.Kinds = []string{indexer.KindNeed}
			r.Confidentiality = []string{"public", "anonymised", "broker_only"}
		}, []indexer.Correction{{Word: "tuynenn", Suggestion: "tuynen"}}},
	} {
		if got := suggest(tc.query, tc.mod); !slices.Equal(got, tc.want) {
			t.Errorf("%q: corrections %v, want %v", tc.query, got, tc.want)
		}
	}
}
