package bleveidx

import (
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search"
)

// Highlights are cut from the stored original text using term locations: every field variant (exact,
// folded) is analysed by the same tokenizer from the same text, and the token filters never move offsets,
// so the byte offsets of a folded match point at the accented original word.

const (
	fragmentRunes = 200  // about how long a fragment is
	maxSpans      = 4096 // spans considered per field: bounds the work on a huge body
	ellipsis      = "…"
	markOpen      = "<mark>"
	markClose     = "</mark>"
)

type span struct{ start, end int }

// fragments builds one highlighted fragment per text field that matched, and the page of the body's.
func fragments(h *search.DocumentMatch) (map[string][]string, int) {
	var out map[string][]string
	page := 0
	for _, f := range textFields {
		text, _ := h.Fields[f.name].(string)
		if text == "" {
			continue
		}
		spans := fieldSpans(h.Locations, f.name, len(text), text)
		if len(spans) == 0 {
			continue
		}
		frag, first := fragment(text, spans)
		if out == nil {
			out = make(map[string][]string)
		}
		out[f.name] = []string{frag}
		if f.name == fBody {
			if starts, _ := h.Fields[fPageStarts].(string); starts != "" {
				page = pageOf(starts, first)
			}
		}
	}
	return out, page
}

// fieldSpans collects the match spans of every variant of base, sorted and merged.
func fieldSpans(locs search.FieldTermLocationMap, base string, n int, text string) []span {
	var spans []span
	for _, field := range []string{base, base + sufFolded, base + sufBigram, base + sufFoldedBigram} {
		for _, ls := range locs[field] {
			for _, l := range ls {
				s, e := int(l.Start), int(l.End)
				if len(l.ArrayPositions) > 0 || s < 0 || e > n || s >= e ||
					!utf8.RuneStart(text[s]) || (e < n && !utf8.RuneStart(text[e])) {
					continue
				}
				spans = append(spans, span{s, e})
			}
		}
	}
	if len(spans) == 0 {
		return nil
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end > spans[j].end
	})
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.start <= last.end { // overlapping or touching
			last.end = max(last.end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	if len(merged) > maxSpans {
		merged = merged[:maxSpans]
	}
	return merged
}

// fragment returns the HTML fragment of text around its densest cluster of spans, and the byte offset of
// the first span shown.
func fragment(text string, spans []span) (string, int) {
	total := utf8.RuneCountInString(text)
	if total <= fragmentRunes {
		return render(text, 0, len(text), spans), spans[0].start
	}
	// Cluster choice in bytes, scaled by the text's average rune width.
	budget := fragmentRunes * len(text) / total
	bi, bj, bestScore := 0, 0, -1
	counts := map[string]int{}
	j := 0
	for i := range spans {
		if j < i {
			j = i
		}
		for j < len(spans) && (j == i || spans[j].end-spans[i].start <= budget) {
			counts[strings.ToLower(text[spans[j].start:spans[j].end])]++
			j++
		}
		// More distinct words beat repetitions of one.
		if score := len(counts)*16 + (j - i); score > bestScore {
			bi, bj, bestScore = i, j-1, score
		}
		w := strings.ToLower(text[spans[i].start:spans[i].end])
		if counts[w]--; counts[w] == 0 {
			delete(counts, w)
		}
	}
	start, end := spans[bi].start, spans[bj].end
	pad := max(fragmentRunes-utf8.RuneCountInString(text[start:end]), 0)
	// Context on both sides; padding one side cannot use goes to the other.
	start, movedBack := backRunes(text, start, pad/2)
	want := pad - movedBack
	end, movedFwd := fwdRunes(text, end, want)
	if movedFwd < want {
		start, _ = backRunes(text, start, want-movedFwd)
	}
	// Cut at word boundaries, never inside the cluster.
	if start > 0 {
		for start < spans[bi].start && !isSpaceByte(text[start-1]) {
			_, size := utf8.DecodeRuneInString(text[start:])
			start += size
		}
	}
	if end < len(text) {
		for end > spans[bj].end && !isSpaceByte(text[end]) {
			_, size := utf8.DecodeLastRuneInString(text[:end])
			end -= size
		}
	}
	// Every span the cut shows is marked, not only the cluster's: the cluster is chosen in bytes, the cut in
	// runes, so around multi-byte text the cut shows matches the cluster left out.
	frag := render(text, start, end, spans)
	frag = strings.TrimSpace(frag)
	if start > 0 {
		frag = ellipsis + frag
	}
	if end < len(text) {
		frag += ellipsis
	}
	return frag, spans[bi].start
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

// backRunes moves at back by up to n runes and reports how many it moved.
func backRunes(s string, at, n int) (int, int) {
	moved := 0
	for ; moved < n && at > 0; moved++ {
		_, size := utf8.DecodeLastRuneInString(s[:at])
		at -= size
	}
	return at, moved
}

// fwdRunes moves at forward by up to n runes and reports how many it moved.
func fwdRunes(s string, at, n int) (int, int) {
	moved := 0
	for ; moved < n && at < len(s); moved++ {
		_, size := utf8.DecodeRuneInString(s[at:])
		at += size
	}
	return at, moved
}

// render escapes text[start:end] and marks the spans inside it; escaping every piece keeps <mark> the only
// markup.
func render(text string, start, end int, spans []span) string {
	var b strings.Builder
	b.Grow(end - start + len(spans)*(len(markOpen)+len(markClose)) + 16)
	at := start
	for _, s := range spans {
		if s.start < start || s.end > end {
			continue
		}
		b.WriteString(html.EscapeString(text[at:s.start]))
		b.WriteString(markOpen)
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString(markClose)
		at = s.end
	}
	b.WriteString(html.EscapeString(text[at:end]))
	return b.String()
}

// queryTerms are the query's terms and phrases with their analysed keys, to tell which of them a document's
// term locations show.
type queryTerms []queryTerm

type queryTerm struct {
	typed  string
	exact  []string
	folded []string
	phrase bool
}

func newQueryTerms(terms []string) queryTerms {
	qt := make(queryTerms, 0, len(terms))
	for _, t := range terms {
		q := queryTerm{typed: t, phrase: strings.ContainsAny(t, " \t")}
		for _, tok := range exactAnalyzer.Analyze([]byte(t)) {
			q.exact = append(q.exact, string(tok.Term))
		}
		for _, tok := range foldedAnalyzer.Analyze([]byte(t)) {
			q.folded = append(q.folded, string(tok.Term))
		}
		if len(q.folded) > 0 {
			qt = append(qt, q)
		}
	}
	return qt
}

// matched returns the terms (as typed) found in the locations: a term when any of its syllables matched
// (exactly, folded, or as a typo), a phrase when all did.
func (qt queryTerms) matched(locs search.FieldTermLocationMap) []string {
	exact, folded := map[string]bool{}, map[string]bool{}
	for field, terms := range locs {
		set := exact
		if strings.HasSuffix(field, sufFolded) {
			set = folded
		} else if strings.HasSuffix(field, sufBigram) || strings.HasSuffix(field, sufFoldedBigram) {
			continue
		}
		for term := range terms {
			set[term] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, q := range qt {
		hits := 0
		for i, f := range q.folded {
			if folded[f] || (i < len(q.exact) && exact[q.exact[i]]) || typoOf(f, folded) {
				hits++
			}
		}
		ok := hits > 0
		if q.phrase {
			ok = hits == len(q.folded)
		}
		if ok && !seen[q.typed] {
			seen[q.typed] = true
			out = append(out, q.typed)
		}
	}
	return out
}

// typoOf reports whether set holds a word the fuzzy query would have matched for term.
func typoOf(term string, set map[string]bool) bool {
	if utf8.RuneCountInString(term) < fuzzyMinRunes {
		return false
	}
	for w := range set {
		if w != "" && w[0] == term[0] && editDistance1(term, w) {
			return true
		}
	}
	return false
}

// editDistance1 reports whether a and b are at Levenshtein distance at most 1.
func editDistance1(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	if len(rb)-len(ra) > 1 {
		return false
	}
	i := 0
	for i < len(ra) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return string(ra[i+min(1, len(ra)-i):]) == string(rb[i+min(1, len(rb)-i):])
	}
	return string(ra[i:]) == string(rb[i+1:])
}
