package extract

import (
	"strings"

	"ketnoi/corpus/vntext"
)

// CER is the character error rate of got against the reference: the edit distance over runes, after
// NFC and collapsing all whitespace to single spaces, divided by the reference length.
func CER(ref, got string) float64 {
	r, g := []rune(collapse(ref)), []rune(collapse(got))
	if len(r) == 0 {
		if len(g) == 0 {
			return 0
		}
		return 1
	}
	return float64(levenshtein(r, g)) / float64(len(r))
}

func collapse(s string) string { return strings.Join(strings.Fields(vntext.Normalize(s)), " ") }

// levenshtein is the edit distance, in two rows of memory.
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c = min(c, prev[j], cur[j-1]) + 1
			}
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// DiacriticRecall is the share of the reference's words with diacritics that appear, exactly, as words
// of got (counted with multiplicity): what a search with diacritics would find. 1 when the reference
// has none.
func DiacriticRecall(ref, got string) float64 {
	have := map[string]int{}
	for _, w := range strings.Fields(strings.ToLower(collapse(got))) {
		have[strings.Trim(w, ".,;:!?()\"'“”")]++
	}
	var total, found int
	for _, w := range strings.Fields(strings.ToLower(collapse(ref))) {
		w = strings.Trim(w, ".,;:!?()\"'“”")
		if !vntext.HasDiacritics(w) {
			continue
		}
		total++
		if have[w] > 0 {
			have[w]--
			found++
		}
	}
	if total == 0 {
		return 1
	}
	return float64(found) / float64(total)
}
