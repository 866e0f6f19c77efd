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
	// Punctuation ends a run: "cá, cơm" are two words, and so are "máy (cá".
	for _, tok := range strings.Fields(vntext.Normalize(text)) {
		word := strings.TrimFunc(tok, notWordRune)
		inner := word != "" && strings.IndexFunc(word, func(r rune) bool { return !isWordRune(r) && r != '-' }) < 0
		key := strings.Join(syllables(word), " ")
		if !inner || !hit[key] || strings.IndexFunc(tok, isWordRune) > 0 {
			flush()
		}
		if !inner || !hit[key] {
			continue
		}
		cur = append(cur, word)
		if strings.TrimRightFunc(tok, notWordRune) != tok {
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
		case !isStop(p, vntext.HasDiacritics(text)) && len([]rune(k)) > 1:
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

// topicOverlap is how much of a title a counterpart's own description (its head: title, keywords,
// summary) states: the share of the title's informative syllables it has, averaged with the share of the
// title's adjacent syllable pairs ("kho lạnh", "bờ biển"), which say far more than either syllable alone.
// A title phrase whose synonym (th, may be nil) the head states counts as stated. The full-text score
// sums evidence from everywhere, a long body included; this asks whether the counterpart is about what the
// title names.
func topicOverlap(title string, head []string, th *Thesaurus) float64 {
	title = vntext.Normalize(title)
	accented := vntext.HasDiacritics(title)
	h := " " + strings.Join(syllables(strings.Join(head, " | ")), " ") + " "
	has := func(k string) bool { return strings.Contains(h, " "+k+" ") }

	// The title's syllables in order; stop marks function words; brk marks a punctuation break after.
	type slot struct {
		key       string
		stop, brk bool
		covered   bool
		span      int // > 0: covered through this synonym span
	}
	var seq []slot
	for _, tok := range strings.Fields(title) {
		word := strings.TrimFunc(tok, notWordRune)
		if len(seq) > 0 && strings.IndexFunc(tok, isWordRune) > 0 { // punctuation before the word: "(cá"
			seq[len(seq)-1].brk = true
		}
		for i, k := range syllables(word) {
			seq = append(seq, slot{key: k, stop: isStop(word, accented)})
			if i > 0 {
				seq[len(seq)-1].stop = false // a compound like "sơ-mi" is content
			}
		}
		if len(seq) > 0 && strings.TrimRightFunc(tok, notWordRune) != tok { // after it: "cá," or "–"
			seq[len(seq)-1].brk = true
		}
	}
	for i := range seq {
		seq[i].covered = has(seq[i].key)
	}
	spans := 0
	if th != nil {
		for i := range seq {
			for n := 2; n <= th.maxLen && i+n <= len(seq); n++ {
				keys := make([]string, n)
				for j := range n {
					keys[j] = seq[i+j].key
				}
				for _, g := range th.index[strings.Join(keys, " ")] {
					for _, m := range th.groups[g] {
						if k := th.keys[m]; k != "" && has(k) {
							spans++
							for j := range n {
								seq[i+j].covered, seq[i+j].span = true, spans
							}
						}
					}
				}
			}
		}
	}
	var nSyl, cSyl, nPair, cPair int
	for i, x := range seq {
		if x.stop {
			continue
		}
		nSyl++
		if x.covered {
			cSyl++
		}
		if i > 0 && !seq[i-1].stop && !seq[i-1].brk {
			nPair++
			if has(seq[i-1].key+" "+x.key) || x.span > 0 && seq[i-1].span == x.span {
				cPair++
			}
		}
	}
	if nSyl == 0 {
		return 0
	}
	if nPair == 0 {
		return float64(cSyl) / float64(nSyl)
	}
	return (float64(cSyl)/float64(nSyl) + float64(cPair)/float64(nPair)) / 2
}
