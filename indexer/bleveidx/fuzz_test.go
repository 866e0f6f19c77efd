package bleveidx

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"ketnoi/indexer"
)

// FuzzSearch sends whatever a user could type through the whole query path (parsing, translation to bleve
// queries, fuzzy and phrase variants, suggestions, highlights) against a small real index: every query must
// be answered without an error, with highlights that are valid UTF-8. Seeds beyond these live in
// testdata/fuzz/FuzzSearch/.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{
		`"cá cơm" -tôm năm:2015..2020`, `tác_giả:"Nguyễn`, `:::""--`, "\x00\xff", `máy sấy "năng lượng mặt trời"`,
		`-"" -`, `cơ_quan:Viện "` + strings.Repeat("a", 300) + `"`, "Ð\u200bÔ\u0301 qúy thuý", "*?~^ AND OR NOT +x",
		`giá hành "lao dốc" nông dân Vĩnh Châu gặp khó "giải cứu" -"" năm:2021 "`, // long: phrases only rank
	} {
		f.Add(s)
	}
	x, err := OpenWith(filepath.Join(f.TempDir(), "idx"), DefaultOptions)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { x.Close() })
	docs, _ := benchDocs(f, 60)
	if err := x.Apply(context.Background(), &indexer.Batch{Put: docs}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		req := &indexer.SearchRequest{Query: indexer.ParseQuery(s), Size: 5, Highlight: true,
			Facets: []string{indexer.FacetYear, indexer.FacetSector}}
		res, err := indexer.SearchOrRelax(context.Background(), x, req)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		for _, h := range res.Hits {
			for _, frs := range h.Fragments {
				for _, fr := range frs {
					if !utf8.ValidString(fr) {
						t.Fatalf("%q: fragment not UTF-8: %q", s, fr)
					}
				}
			}
		}
	})
}
