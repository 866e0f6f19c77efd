package pdffixture

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// CER is the character error rate of got against want: the Levenshtein distance between their runes
// (NFC, whitespace runs collapsed to one space, ends trimmed) divided by the length of want. It is how
// OCR output is judged against a golden text; 0 is perfect, and it may exceed 1 for long garbage.
func CER(got, want string) float64 {
	g := []rune(strings.Join(strings.Fields(norm.NFC.String(got)), " "))
	w := []rune(strings.Join(strings.Fields(norm.NFC.String(want)), " "))
	if len(w) == 0 {
		if len(g) == 0 {
			return 0
		}
		return 1
	}
	// One row of the dynamic programme at a time.
	prev := make([]int, len(g)+1)
	cur := make([]int, len(g)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(w); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			cost := 1
			if w[i-1] == g[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(g)]) / float64(len(w))
}
