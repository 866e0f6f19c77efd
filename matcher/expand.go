package matcher

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Vocabulary bridging. Enterprises write "đỡ tốn điện", reports write "tiết kiệm năng lượng": the need's own
// words miss the results that answer it. Two sources of added words, each measured by `ketnoi eval match
// --ablation`: a curated synonym list of the province's domains (synonyms.txt), and pseudo-relevance
// feedback, the keywords shared by the best first-pass candidates (what the corpus itself teaches).

//go:embed synonyms.txt
var synonymsTxt []byte

// Thesaurus maps folded phrases to synonym groups.
type Thesaurus struct {
	groups [][]string        // each group's members as written (NFC)
	index  map[string][]int  // folded trigger phrase → groups containing it
	maxLen int               // longest trigger, in syllables
	keys   map[string]string // member as written → folded form
}

// ParseThesaurus reads the synonym format: one group per line, members separated by commas, "#" comments.
// A member triggers its group only when it has two syllables or more: single syllables ("tiêu", "điều",
// "mì") are too ambiguous in running text ("tiêu chuẩn", "điều kiện") and are only ever added.
func ParseThesaurus(b []byte) (*Thesaurus, error) {
	t := &Thesaurus{index: map[string][]int{}, keys: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(vntext.Normalize(sc.Text()))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		var group []string
		for _, m := range strings.Split(s, ",") {
			if m = strings.TrimSpace(m); m != "" {
				group = append(group, m)
			}
		}
		if len(group) < 2 {
			return nil, fmt.Errorf("dòng %d: một nhóm từ đồng nghĩa cần ít nhất hai mục", line)
		}
		gi := len(t.groups)
		t.groups = append(t.groups, group)
		for _, m := range group {
			syl := syllables(m)
			key := strings.Join(syl, " ")
			t.keys[m] = key
			if len(syl) < 2 {
				continue
			}
			t.index[key] = append(t.index[key], gi)
			t.maxLen = max(t.maxLen, len(syl))
		}
	}
	return t, sc.Err()
}

var defaultThesaurus = func() *Thesaurus {
	t, err := ParseThesaurus(synonymsTxt)
	if err != nil {
		panic("synonyms.txt: " + err.Error()) // embedded file: caught by every test run
	}
	return t
}()

// DefaultThesaurus is the curated list shipped in synonyms.txt.
func DefaultThesaurus() *Thesaurus { return defaultThesaurus }

// syllables splits text into folded syllables (letters and digits only).
func syllables(s string) []string {
	return strings.FieldsFunc(vntext.FoldKey(s), func(r rune) bool { return !isWordRune(r) })
}

// Expand returns the members of every group one of whose triggers occurs in text, except the members the
// text already contains, in group order, at most limit of them.
func (t *Thesaurus) Expand(text string, limit int) []string {
	syl := syllables(text)
	have := " " + strings.Join(syl, " ") + " "
	hit := map[int]bool{}
	var order []int
	for i := range syl {
		for n := 2; n <= t.maxLen && i+n <= len(syl); n++ {
			for _, g := range t.index[strings.Join(syl[i:i+n], " ")] {
				if !hit[g] {
					hit[g] = true
					order = append(order, g)
				}
			}
		}
	}
	sort.Ints(order)
	var out []string
	seen := map[string]bool{}
	for _, g := range order {
		for _, m := range t.groups[g] {
			k := t.keys[m]
			if seen[k] || strings.Contains(have, " "+k+" ") {
				continue
			}
			seen[k] = true
			out = append(out, m)
			if len(out) == limit {
				return out
			}
		}
	}
	return out
}

// Expansion weights relative to the need's own words. Synonyms are curated, so trusted more than feedback
// terms, which are only as good as the first pass.
const (
	synonymWeight  = 0.5
	feedbackWeight = 0.3
	maxSynonyms    = 24
)

// synonymsOn is the thesaurus when synonyms are on, else nil.
func (m *Matcher) synonymsOn() *Thesaurus {
	if !m.w.Synonyms || m.thesaurus == nil {
		return nil
	}
	return m.thesaurus
}

// synonymExpansions turns the thesaurus' additions for text into query expansions.
func (m *Matcher) synonymExpansions(text string) []indexer.Expansion {
	th := m.synonymsOn()
	if th == nil {
		return nil
	}
	var out []indexer.Expansion
	for _, s := range th.Expand(text, maxSynonyms) {
		out = append(out, indexer.Expansion{Text: s, Weight: synonymWeight})
	}
	return out
}

// placeNames are the folded names of the province's localities: results' keywords often name where the
// work was done, and a place shared by the first candidates says nothing about what the need asks.
var placeNames = func() map[string]bool {
	out := map[string]bool{}
	for _, t := range corpus.Localities.Terms() {
		name := t.LabelVI
		for _, p := range []string{"TP. ", "TX. ", "Huyện ", "Thị xã ", "Thành phố "} {
			name = strings.TrimPrefix(name, p)
		}
		out[strings.Join(syllables(name), " ")] = true
	}
	for _, p := range []string{"binh dinh", "gia lai", "quy nhon", "tay nguyen", "nam trung bo", "viet nam"} {
		out[p] = true
	}
	return out
}()

// feedbackTerms picks, from the keywords of the best first-pass results, those that at least two of them
// share (one document's keyword is its own business; a keyword several good candidates agree on is what the
// topic is called in reports), best ranked first, leaving out place names and words the query already has.
func feedbackTerms(top []*corpus.Result, query string, limit int) []string {
	if limit <= 0 || len(top) < 2 {
		return nil
	}
	have := " " + strings.Join(syllables(query), " ") + " "
	type kw struct {
		text  string
		docs  int
		score float64
		first int
	}
	byKey := map[string]*kw{}
	var order []string
	for rank, r := range top {
		seen := map[string]bool{}
		for _, k := range r.Keywords {
			key := strings.Join(syllables(k), " ")
			if key == "" || seen[key] || placeNames[key] || strings.Contains(have, " "+key+" ") {
				continue
			}
			seen[key] = true
			e := byKey[key]
			if e == nil {
				e = &kw{text: k, first: len(order)}
				byKey[key] = e
				order = append(order, key)
			}
			e.docs++
			e.score += 1 / float64(rank+1)
		}
	}
	var cands []*kw
	for _, key := range order {
		if e := byKey[key]; e.docs >= 2 {
			cands = append(cands, e)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var out []string
	for _, e := range cands {
		out = append(out, e.text)
		if len(out) == limit {
			break
		}
	}
	return out
}
