package bleveidx

import (
	"context"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/indexer"
)

var markRE = regexp.MustCompile(`<mark>(.*?)</mark>`)

// marked returns the unescaped marked pieces of a fragment and checks that <mark> is its only markup.
func marked(t *testing.T, frag string) []string {
	t.Helper()
	var out []string
	for _, m := range markRE.FindAllStringSubmatch(frag, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	if rest := markRE.ReplaceAllString(frag, "$1"); strings.ContainsAny(rest, "<>") {
		t.Errorf("markup other than <mark> in %q", frag)
	}
	return out
}

func TestRender(t *testing.T) {
	text := `a<b & "c" 'd' máy>`
	got := render(text, 0, len(text), []span{{2, 3}, {strings.Index(text, "máy"), strings.Index(text, "máy") + 4}})
	want := `a&lt;<mark>b</mark> &amp; &#34;c&#34; &#39;d&#39; <mark>máy</mark>&gt;`
	if got != want {
		t.Errorf("render: got %q, want %q", got, want)
	}
}

func TestFragmentWindow(t *testing.T) {
	filler := strings.Repeat("Đây là đoạn văn bản dài không liên quan đến câu hỏi của người dùng. ", 12)
	text := "Máy đầu tiên. " + filler + "Hệ thống sấy cá cơm bằng bơm nhiệt cho ngư dân. " + filler
	var spans []span
	for _, w := range []string{"Máy", "sấy", "cá", "cơm"} {
		i := strings.Index(text, w)
		if w != "Máy" {
			i = strings.Index(text, "Hệ thống") + strings.Index(text[strings.Index(text, "Hệ thống"):], w)
		}
		spans = append(spans, span{i, i + len(w)})
	}
	frag, first := fragment(text, spans)
	if !strings.HasPrefix(frag, "…") || !strings.HasSuffix(frag, "…") {
		t.Errorf("no ellipsis on a cut fragment: %q", frag)
	}
	if got := marked(t, frag); !slices.Equal(got, []string{"sấy", "cá", "cơm"}) {
		t.Errorf("densest cluster not chosen: marked %q in %q", got, frag)
	}
	if first != spans[1].start {
		t.Errorf("first span at %d, want %d", first, spans[1].start)
	}
	plain := strings.Trim(markRE.ReplaceAllString(frag, "$1"), "…")
	if n := utf8.RuneCountInString(plain); n > fragmentRunes+5 || n < fragmentRunes-40 {
		t.Errorf("fragment is %d runes: %q", n, frag)
	}
	// Cut at word boundaries: the text before and after the fragment ends on a space.
	i := strings.Index(text, plain)
	if i < 0 {
		t.Fatalf("fragment text not in the original: %q", plain)
	}
	if j := i + len(plain); (i > 0 && text[i-1] != ' ') || (j < len(text) && text[j] != ' ') {
		t.Errorf("fragment cuts a word: %q", plain)
	}
}

func TestHighlightsOnOriginalText(t *testing.T) {
	idx := openTest(t, Options{})
	nfdBody := norm.NFD.String("Buồng sấy thép không gỉ. Thời gian sấy cá cơm giảm còn mười hai giờ.")
	pages := []string{"Trang một nói về lịch sử nghề cá.", "Trang hai nói về thị trường.", "Trang ba: máy sấy đạt độ ẩm 18%."}
	applyDocs(t, idx,
		indexer.Doc{ID: "nfd", Kind: "result", Title: "Máy SẤY cá cơm", Body: nfdBody},
		indexer.Doc{ID: "pages", Kind: "result", Title: "Báo cáo tổng kết", Pages: pages},
		indexer.Doc{ID: "hoa", Kind: "result", Title: "Hòa giải và hoà bình; hoa lan và phân hóa học"},
	)
	for _, tc := range []struct {
		query, id, field string
		want             []string
		page             int
	}{
		{"may say", "nfd", "title", []string{"Máy", "SẤY"}, 0},
		{"máy sấy", "nfd", "title", []string{"Máy", "SẤY"}, 0},
		{"may say", "nfd", "body", []string{norm.NFD.String("sấy"), norm.NFD.String("sấy")}, 0},
		{`"sấy cá"`, "nfd", "body", []string{norm.NFD.String("sấy"), "cá"}, 0},
		{"độ ẩm", "pages", "body", []string{"độ", "ẩm"}, 3},
		// An accented query marks every spelling the folded field found, exact or not.
		{"hòa", "hoa", "title", []string{"Hòa", "hoà", "hoa", "hóa"}, 0},
		{`"hoà bình"`, "hoa", "title", []string{"hoà", "bình"}, 0},
	} {
		res, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery(tc.query), Highlight: true})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res.Hits, func(h indexer.Hit) bool { return h.ID == tc.id })
		if i < 0 {
			t.Errorf("%q: %s not found", tc.query, tc.id)
			continue
		}
		h := res.Hits[i]
		frags := h.Fragments[tc.field]
		if len(frags) != 1 {
			t.Errorf("%q: %s fragments %v", tc.query, tc.field, h.Fragments)
			continue
		}
		got := marked(t, frags[0])
		if tc.id == "nfd" && tc.field == "body" {
			for j := range got { // "cá" is NFC in NFD text only if it has no mark; compare normalised
				got[j] = norm.NFD.String(got[j])
			}
			for j := range tc.want {
				tc.want[j] = norm.NFD.String(tc.want[j])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: marked %q in %q, want %q", tc.query, got, frags[0], tc.want)
		}
		if h.Page != tc.page {
			t.Errorf("%q: page %d, want %d", tc.query, h.Page, tc.page)
		}
	}
}

// Syllables too common to rank still show: they are highlighted and reported as matched.
func TestCommonSyllablesShown(t *testing.T) {
	idx := openTest(t, Options{Bigrams: true})
	var docs []indexer.Doc
	for i, w := range []string{"lúa", "ngô", "khoai", "sắn", "đậu"} {
		docs = append(docs, indexer.Doc{ID: string(rune('a' + i)), Kind: "result", Title: "Giống " + w + " mới chịu hạn"})
	}
	applyDocs(t, idx, docs...)
	res, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery("giống lúa"), Highlight: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].ID != "a" {
		t.Fatalf("got %+v", res.Hits)
	}
	h := res.Hits[0]
	if got := marked(t, h.Fragments["title"][0]); !slices.Equal(got, []string{"Giống", "lúa"}) {
		t.Errorf("marked %q", got)
	}
	if !slices.Equal(h.MatchedTerms, []string{"giống", "lúa"}) {
		t.Errorf("MatchedTerms %q", h.MatchedTerms)
	}
}

// A fragment marks every match it shows. The densest cluster is chosen over a byte budget scaled by the
// whole text's average rune width, and the fragment is cut in runes: where the text around the matches is
// wider than the average (Vietnamese before a long ASCII table), the cut shows matches outside the cluster.
func TestFragmentMarksEveryShownMatch(t *testing.T) {
	idx := openTest(t, Options{})
	applyDocs(t, idx,
		indexer.Doc{ID: "wide", Kind: "result", Title: "Báo cáo",
			Body: "Sấy " + strings.Repeat("ườ ", 50) + "sấy " + strings.Repeat("abc ", 400)},
		indexer.Doc{ID: "apart", Kind: "result", Title: "Báo cáo",
			Body: "Máy sấy nông sản. " + strings.Repeat("Đoạn văn không liên quan. ", 20) + "Lò sấy gạch."},
	)
	for _, tc := range []struct {
		query, id, word string
	}{
		{"sấy", "wide", "sấy"},
		{"say", "wide", "sấy"},
		{"sấy", "apart", "sấy"},
	} {
		res, err := idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery(tc.query), Highlight: true})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res.Hits, func(h indexer.Hit) bool { return h.ID == tc.id })
		if i < 0 || len(res.Hits[i].Fragments["body"]) != 1 {
			t.Fatalf("%q: no body fragment for %s in %+v", tc.query, tc.id, res.Hits)
		}
		frag := res.Hits[i].Fragments["body"][0]
		plain := strings.ToLower(html.UnescapeString(markRE.ReplaceAllString(frag, "$1")))
		shown := strings.Count(plain, tc.word)
		if got := len(marked(t, frag)); got != shown || shown == 0 {
			t.Errorf("%q in %s: %d of %d shown matches marked: %q", tc.query, tc.id, got, shown, frag)
		}
	}
}
