package matcher

import (
	"strings"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
)

// Matched words for the explanation. The index reports matched syllables ("sấy", "cá", "cơm", "Tam",
// "Quan"); a broker reads words ("cá cơm", "máy sấy"). matchedPhrases regroups the syllables as they stand
// in the query text, longest first, and drops lone function syllables.

// matchedPhrases returns the runs of consecutive matched syllables of text, runs of two or more first (in
// text order), then the single syllables that are not function words, without repeats, at most limit.
func matchedPhrases(text string, matched []string, limit int) []string {
	if len(matched) == 0 {
		return nil
	}
	hit := map[string]bool{}
	for _, m := range matched {
		for _, s := range syllables(m) {
			hit[s] = true
		}
	}
	var runs [][]string // as written
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, cur)
			cur = nil
		}
	}
	// Punctuation ends a run: "cá, cơm" are two words.
	for _, tok := range strings.Fields(vntext.Normalize(text)) {
		word := strings.TrimFunc(tok, func(r rune) bool { return !isWordRune(r) })
		inner := word != "" && strings.IndexFunc(word, func(r rune) bool { return !isWordRune(r) && r != '-' }) < 0
		key := strings.Join(syllables(word), " ")
		if !inner || !hit[key] {
			flush()
			continue
		}
		cur = append(cur, word)
		if word != tok {
			flush()
		}
	}
	flush()
	var long, short []string
	seen := map[string]bool{}
	for _, r := range runs {
		p := strings.Join(r, " ")
		k := vntext.FoldKey(p)
		if seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case len(r) > 1:
			long = append(long, p)
		case !stopSyllables[k] && len([]rune(k)) > 1:
			short = append(short, p)
		}
	}
	out := append(long, short...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// bridged returns the expansions (synonyms, feedback terms) that the result states in its title, keywords,
// summary, applications or advantages: the words by which bridging found it. The body is left out: it can
// be a whole report, and a word deep in it is weak evidence to show a broker.
func bridged(r *corpus.Result, expansions []string) []string {
	return bridgedIn(append([]string{r.Title, r.Summary, r.Applications, r.Advantages}, r.Keywords...), expansions)
}

// needBridged is bridged for a need (reverse matching): its title and description.
func needBridged(n *corpus.Need, expansions []string) []string {
	return bridgedIn([]string{n.Title, n.Description}, expansions)
}

func bridgedIn(texts, expansions []string) []string {
	if len(expansions) == 0 {
		return nil
	}
	folded := make([]string, len(texts))
	for i, t := range texts {
		folded[i] = " " + strings.Join(syllables(t), " ") + " "
	}
	var out []string
	for _, e := range expansions {
		k := " " + strings.Join(syllables(e), " ") + " "
		for _, f := range folded {
			if k != "  " && strings.Contains(f, k) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
