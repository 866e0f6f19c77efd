package indexer_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
)

func TestSearchOrRelax(t *testing.T) {
	idx, err := bleveidx.Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	docs := []indexer.Doc{
		{ID: "a", Kind: indexer.KindResult, Title: "Máy sấy cá cơm bằng năng lượng mặt trời"},
		{ID: "b", Kind: indexer.KindResult, Title: "Chế biến cơm dừa và cá khô"},
		{ID: "c", Kind: indexer.KindResult, Title: "Giống lúa chịu mặn"},
	}
	if err := idx.Apply(context.Background(), &indexer.Batch{Put: docs, Seq: 1}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q       string
		want    []string // hits, in any order
		relaxed []string
	}{
		{`"cá cơm"`, []string{"a"}, nil},                              // found as typed: the phrase is required
		{`"cơm cá"`, []string{"a", "b"}, []string{"cơm cá"}},          // no document has it: its words
		{`lúa "cơm cá"`, []string{"a", "b", "c"}, []string{"cơm cá"}}, // the other words still count
		{`"cơm cá" -dừa`, []string{"a"}, []string{"cơm cá"}},          // exclusions still hold
		{`"xyzw qrst"`, nil, nil},                                     // nothing either way: nothing to relax to
		{`máy "cá cơm" "lúa cá"`, []string{"a", "b", "c"}, []string{"cá cơm", "lúa cá"}},
	} {
		res, err := indexer.SearchOrRelax(context.Background(), idx, &indexer.SearchRequest{Query: indexer.ParseQuery(tc.q)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) || !slices.Equal(res.Relaxed, tc.relaxed) {
			t.Errorf("%s: hits %v relaxed %q, want %v relaxed %q", tc.q, got, res.Relaxed, tc.want, tc.relaxed)
		}
	}
}
