package matcher

import (
	"context"
	"math"
	"slices"
	"testing"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
)

func TestThesaurusExpand(t *testing.T) {
	th, err := ParseThesaurus([]byte("# chú thích\nđỡ tốn điện, tiết kiệm năng lượng, tiết kiệm điện\nhồ tiêu, tiêu\nmáy sấy, lò sấy\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Cần máy sấy cá đỡ tốn điện", []string{"tiết kiệm năng lượng", "tiết kiệm điện", "lò sấy"}},
		{"can may say ca DO TON DIEN", []string{"tiết kiệm năng lượng", "tiết kiệm điện", "lò sấy"}},
		// A member the text already has is not added again.
		{"lò sấy tiết kiệm điện", []string{"đỡ tốn điện", "tiết kiệm năng lượng", "máy sấy"}},
		// One syllable never triggers: "tiêu chuẩn" is not pepper.
		{"đạt tiêu chuẩn xuất khẩu", nil},
		{"vườn hồ tiêu", nil}, // "tiêu" is already in the text
		{"", nil},
	} {
		if got := th.Expand(tc.text, 10); !slices.Equal(got, tc.want) {
			t.Errorf("Expand(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := th.Expand("máy sấy đỡ tốn điện", 2); len(got) != 2 {
		t.Errorf("limit 2: got %q", got)
	}
	for _, bad := range []string{"một mục\n", "a,\n"} {
		if _, err := ParseThesaurus([]byte(bad)); err == nil {
			t.Errorf("ParseThesaurus(%q): want an error for a group of one", bad)
		}
	}
	if len(DefaultThesaurus().groups) < 100 {
		t.Errorf("shipped synonyms.txt has %d groups", len(DefaultThesaurus().groups))
	}
}

func TestFeedbackTerms(t *testing.T) {
	r := func(kw ...string) *corpus.Result { return &corpus.Result{Keywords: kw} }
	top := []*corpus.Result{
		r("sấy năng lượng mặt trời", "Phù Mỹ", "cá cơm"),
		r("bơm nhiệt", "sấy năng lượng mặt trời", "Phù Mỹ"),
		r("bơm nhiệt", "hải sản khô", "Sấy năng lượng mặt trời"),
		r("hải sản khô"),
	}
	got := feedbackTerms(top, "máy sấy cá cơm", 5)
	// Shared by two or more, best ranked first; the place name and the query's own words are left out.
	want := []string{"sấy năng lượng mặt trời", "bơm nhiệt", "hải sản khô"}
	if !slices.Equal(got, want) {
		t.Errorf("feedbackTerms = %q, want %q", got, want)
	}
	if got := feedbackTerms(top, "", 1); len(got) != 1 {
		t.Errorf("limit 1: %q", got)
	}
	if got := feedbackTerms(top[:1], "", 5); got != nil {
		t.Errorf("one document teaches nothing: %q", got)
	}
}

type recs map[string]corpus.Record

func (r recs) Record(id string) (corpus.Record, error) {
	if x, ok := r[id]; ok {
		return x, nil
	}
	return nil, corpus.ErrNotFound
}

// TestBridging: a need in everyday words finds the result written in report words only through the
// synonym list, and pseudo-relevance feedback brings in a result the need's words miss.
func TestBridging(t *testing.T) {
	idx, err := bleveidx.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	results := []*corpus.Result{
		{ID: "kq-nlmt", Title: "Hệ thống hiệu suất năng lượng cao cho nhà xưởng", Keywords: []string{"tiết kiệm năng lượng", "biến tần"}},
		{ID: "kq-say1", Title: "Máy sấy cá bằng bơm nhiệt", Keywords: []string{"bơm nhiệt", "hải sản khô"}},
		{ID: "kq-say2", Title: "Máy sấy mực dùng bơm nhiệt", Keywords: []string{"bơm nhiệt", "hải sản khô"}},
		{ID: "kq-bom", Title: "Thiết bị bơm nhiệt công suất nhỏ cho hải sản khô", Keywords: []string{"bơm nhiệt"}},
		{ID: "kq-khac", Title: "Giống lúa chịu mặn", Keywords: []string{"lúa"}},
	}
	rs := recs{}
	b := &indexer.Batch{Seq: 1}
	for _, r := range results {
		r.Kind = corpus.KindResult
		rs[r.ID] = r
		b.Put = append(b.Put, indexer.DocFromRecord(r))
	}
	if err := idx.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	w := DefaultWeights()
	w.PRFTerms, w.Synonyms = 0, false
	off := New(idx, rs, w, 2026)
	w.Synonyms = true
	syn := New(idx, rs, w, 2026)
	w.PRFDocs, w.PRFTerms = 2, 4
	prf := New(idx, rs, w, 2026)

	ids := func(m *Matcher, need string) []string {
		ms, _, err := m.MatchPlan(context.Background(), &corpus.Need{ID: "n", Title: need}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range ms {
			out = append(out, x.ID)
		}
		return out
	}
	if got := ids(off, "đỡ tốn điện"); slices.Contains(got, "kq-nlmt") {
		t.Errorf("without synonyms: %v should not find kq-nlmt", got)
	}
	if got := ids(syn, "đỡ tốn điện"); len(got) == 0 || got[0] != "kq-nlmt" {
		t.Errorf("with synonyms: got %v, want kq-nlmt first", got)
	}
	// "máy sấy cá" finds the two dryers; their shared keyword "bơm nhiệt" then brings in the heat pump.
	if got := ids(syn, "máy sấy cá mực"); slices.Contains(got, "kq-bom") {
		t.Errorf("without feedback: %v should not find kq-bom", got)
	}
	if got := ids(prf, "máy sấy cá mực"); !slices.Contains(got, "kq-bom") || slices.Contains(got, "kq-khac") {
		t.Errorf("with feedback: got %v, want kq-bom and not kq-khac", got)
	}
}

func TestMatchedPhrases(t *testing.T) {
	text := "Cần máy sấy cá cơm đỡ tốn điện, mùa mưa vẫn sấy được ở Tam Quan"
	for _, tc := range []struct {
		matched []string
		limit   int
		want    []string
	}{
		{[]string{"sấy", "cá", "cơm", "điện", "mùa", "mưa", "Tam", "Quan", "vẫn"}, 10,
			[]string{"sấy cá cơm", "mùa mưa vẫn sấy", "Tam Quan", "điện"}},
		// Folded matches count; punctuation ends a phrase; a function syllable alone is dropped.
		{[]string{"dien", "mua", "can"}, 10, []string{"mùa mưa", "điện"}},
		{[]string{"máy", "sấy"}, 1, []string{"máy sấy"}},
		{nil, 10, nil},
	} {
		if got := matchedPhrases(text, tc.matched, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("matchedPhrases(%q) = %q, want %q", tc.matched, got, tc.want)
		}
	}
	r := &corpus.Result{Title: "Nhà sấy", Keywords: []string{"Tiết kiệm năng lượng", "bơm nhiệt"}, Summary: "dùng bơm nhiệt"}
	if got := bridged(r, []string{"tiết kiệm năng lượng", "lò sấy", "bơm nhiệt"}); !slices.Equal(got, []string{"tiết kiệm năng lượng", "bơm nhiệt"}) {
		t.Errorf("bridged = %q", got)
	}
}

func TestTopicOverlap(t *testing.T) {
	th, err := ParseThesaurus([]byte("đỡ tốn điện, tiết kiệm năng lượng\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		title string
		head  []string
		th    *Thesaurus
		want  float64
	}{
		// Syllables 2/2, pairs 1/1.
		{"Cần kho lạnh", []string{"Kho lạnh tiết kiệm điện"}, nil, 1},
		// Both syllables, but not as a pair: "lạnh ... kho".
		{"kho lạnh", []string{"máy lạnh cho kho"}, nil, 0.5},
		// Folded, case-insensitive; function words ("cần", "cho") do not count.
		{"Cần máy sấy cho cá", []string{"MAY SAY CA"}, nil, 1},
		{"máy sấy cá", []string{"giống lúa"}, nil, 0},
		// A synonym of a title phrase counts as stated, pairs within it too.
		{"đỡ tốn điện", []string{"tiết kiệm năng lượng"}, th, 1},
		{"đỡ tốn điện", []string{"tiết kiệm năng lượng"}, nil, 0},
		{"", []string{"x"}, nil, 0},
	} {
		if got := topicOverlap(tc.title, tc.head, tc.th); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("topicOverlap(%q, %q) = %v, want %v", tc.title, tc.head, got, tc.want)
		}
	}
}
