package indexer

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// MaxQueryRunes bounds what a query may contain; longer input is cut at a word boundary.
const MaxQueryRunes = 1000

// LongQueryWords is how many plain words make a query long: its quoted phrases then only rank (see
// Query.RankPhrases). Typed searches are 2 to 5 words; pasted sentences, 10 and more.
const LongQueryWords = 8

// Query is a parsed user query. The syntax cannot fail: whatever a user types parses, and characters that
// are not syntax in their place (a stray quote, a colon after an unknown name) are taken literally.
type Query struct {
	// Terms are plain words: each counts toward the ranking and none is required, but a document must match
	// at least one of them unless the query has a phrase (which is then what selects).
	Terms []string
	// Phrases are quoted phrases, syllables in order: each is required, unless RankPhrases.
	Phrases []string
	// RankPhrases: the phrases only rank (a document with a phrase before one with its words apart) and
	// select nothing. ParseQuery sets it for a long query, LongQueryWords plain words or more besides the
	// phrases: text pasted from an article, whose quotes are punctuation (‘giá hành "lao dốc"’) rather than
	// an operator. Required there, a phrase the sought article words differently hid it: on the UNC set
	// (news leads and captions as queries, 37 words at the median) nDCG@10 went from 0.750 to 0.779 (first
	// 1,000 queries), and ViCoV19QA's questions did not change (0.402).
	RankPhrases bool
	// Excluded are words or phrases after "-": documents containing them are dropped.
	Excluded []string
	// Clauses are field-restricted conditions (tác_giả:, cơ_quan:, năm:2015..2020).
	Clauses []Clause
	// MaxTerms, when set, ranks by at most that many distinct syllables of Terms: the rarest in the index,
	// leaving out syllables no document has. A need's or a report's whole text is a query too long to run
	// fast; its rarest syllables are the ones that say what it is about. Users' queries leave it 0.
	MaxTerms int
	// KeepTerms: with MaxTerms, the first KeepTerms words of Terms are always kept (a need's title says
	// what it is about even in common words, "kho lạnh"), and count toward MaxTerms.
	KeepTerms int
	// Expansions are words or phrases the program adds to bridge vocabularies (domain synonyms, feedback
	// terms from the best first results): they rank like Terms at their own lower weight and may select
	// documents on their own, but never decide whether the query "has diacritics". Users never type them.
	Expansions []Expansion
}

// Expansion is one added word or phrase and its weight relative to a typed term (0 < Weight ≤ 1).
type Expansion struct {
	Text   string
	Weight float64
}

// Clause restricts one field: a text value (Value) or a year range (Min..Max, inclusive, 0 = open).
type Clause struct {
	Field string // ClauseAuthor, ClauseOrganization, ClauseTitle or ClauseYear
	Value string
	Min   int
	Max   int
}

// Clause fields.
const (
	ClauseAuthor       = "author"
	ClauseOrganization = "organization"
	ClauseTitle        = "title"
	ClauseYear         = "year"
)

// clausePrefixes maps the folded prefix a user types (with or without diacritics, "_" or "-" between
// syllables) to a clause field.
var clausePrefixes = map[string]string{
	"tac_gia": ClauseAuthor, "author": ClauseAuthor,
	"co_quan": ClauseOrganization, "to_chuc": ClauseOrganization, "org": ClauseOrganization,
	"tieu_de": ClauseTitle, "title": ClauseTitle,
	"nam": ClauseYear, "year": ClauseYear,
}

// IsEmpty reports whether the query asks for nothing (it then matches everything that passes the filters).
func (q Query) IsEmpty() bool {
	return len(q.Terms) == 0 && len(q.Phrases) == 0 && len(q.Excluded) == 0 && len(q.Clauses) == 0 &&
		len(q.Expansions) == 0
}

// Text is every positive word of the query (terms and phrases), for highlighting and suggestions.
func (q Query) Text() string {
	parts := append(append([]string(nil), q.Terms...), q.Phrases...)
	return strings.Join(parts, " ")
}

// ParseQuery parses what a user typed. It never fails.
func ParseQuery(s string) Query {
	q, _, _ := parseQuery(s)
	return q
}

// CorrectQuery returns what the user typed (normalised as ParseQuery reads it) with each correction's Word
// replaced by its Suggestion, as a whole word: the first occurrence not yet replaced among the plain terms,
// then among the words of the quoted phrases (which corrections name when the phrases were relaxed to plain
// words, see Query.Relaxed), never inside another word or a field clause.
func CorrectQuery(s string, cs []Correction) string {
	q, rs, spans := parseQuery(s)
	words := q.Relaxed().Terms // the terms, then the phrases' words: spans lists them in that order
	type edit struct {
		span [2]int
		repl string
	}
	var edits []edit
	done := make([]bool, len(words))
	for _, c := range cs {
		for i, w := range words {
			if !done[i] && w == c.Word {
				done[i] = true
				edits = append(edits, edit{spans[i], c.Suggestion})
				break
			}
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].span[0] < edits[j].span[0] })
	var b strings.Builder
	at := 0
	for _, e := range edits {
		b.WriteString(string(rs[at:e.span[0]]))
		b.WriteString(e.repl)
		at = e.span[1]
	}
	b.WriteString(string(rs[at:]))
	return b.String()
}

// parseQuery is ParseQuery that also returns the runes it read and where the words of Relaxed().Terms stand
// among them: each term, then each word of each phrase.
func parseQuery(s string) (Query, []rune, [][2]int) {
	s = vntext.Normalize(s)
	if utf8.RuneCountInString(s) > MaxQueryRunes {
		s = cutRunes(s, MaxQueryRunes)
	}
	var q Query
	var spans, phraseSpans [][2]int
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		if i >= len(rs) {
			break
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = true
			i++
		}
		if rs[i] == '"' {
			if end := indexRune(rs, i+1, '"'); end > 0 {
				open := i + 1
				phrase := strings.TrimSpace(string(rs[open:end]))
				i = end + 1
				if phrase == "" {
					continue
				}
				if neg {
					q.Excluded = append(q.Excluded, phrase)
				} else {
					q.Phrases = append(q.Phrases, phrase)
					phraseSpans = appendFields(phraseSpans, rs, open, end)
				}
				continue
			}
			// A stray quote: taken literally, as part of the word it starts.
		}
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) {
			i++
		}
		word := string(rs[start:i])
		if neg {
			q.Excluded = append(q.Excluded, word)
			continue
		}
		if c, rest, ok := parseClause(word); ok {
			// A clause value may be quoted: tác_giả:"Nguyễn Văn A".
			if rest == `"` || (strings.HasPrefix(rest, `"`) && !strings.HasSuffix(rest[1:], `"`)) {
				if end := indexRune(rs, i, '"'); end > 0 {
					rest = rest + string(rs[i:end+1])
					i = end + 1
				}
			}
			if c.Field != ClauseYear {
				c.Value = strings.TrimSpace(strings.Trim(rest, `"`))
				if c.Value == "" {
					q.Terms = append(q.Terms, word)
					spans = append(spans, [2]int{start, start + len([]rune(word))})
					continue
				}
			}
			q.Clauses = append(q.Clauses, c)
			continue
		}
		q.Terms = append(q.Terms, word)
		spans = append(spans, [2]int{start, i})
	}
	q.RankPhrases = len(q.Phrases) > 0 && len(q.Terms) >= LongQueryWords
	return q, rs, append(spans, phraseSpans...)
}

// appendFields appends the spans of the space-separated words of rs[from:to].
func appendFields(spans [][2]int, rs []rune, from, to int) [][2]int {
	for i := from; i < to; {
		for i < to && unicode.IsSpace(rs[i]) {
			i++
		}
		start := i
		for i < to && !unicode.IsSpace(rs[i]) {
			i++
		}
		if i > start {
			spans = append(spans, [2]int{start, i})
		}
	}
	return spans
}

// parseClause recognises "prefix:value"; for years the value must be a year or a range "2015..2020",
// "2015..", "..2020".
func parseClause(word string) (Clause, string, bool) {
	colon := strings.IndexByte(word, ':')
	if colon <= 0 {
		return Clause{}, "", false
	}
	key := strings.ReplaceAll(vntext.FoldKey(word[:colon]), "-", "_")
	field, ok := clausePrefixes[key]
	if !ok {
		return Clause{}, "", false
	}
	rest := word[colon+1:]
	c := Clause{Field: field}
	if field != ClauseYear {
		return c, rest, true
	}
	lo, hi, isRange := strings.Cut(rest, "..")
	if !isRange {
		hi = lo
	}
	var err error
	if lo != "" {
		if c.Min, err = strconv.Atoi(lo); err != nil || c.Min < 0 || c.Min > 9999 {
			return Clause{}, "", false
		}
	}
	if hi != "" {
		if c.Max, err = strconv.Atoi(hi); err != nil || c.Max < 0 || c.Max > 9999 {
			return Clause{}, "", false
		}
	}
	if (c.Min == 0 && c.Max == 0) || (c.Max != 0 && c.Min > c.Max) {
		return Clause{}, "", false
	}
	return c, rest, true
}

func indexRune(rs []rune, from int, r rune) int {
	for j := from; j < len(rs); j++ {
		if rs[j] == r {
			return j
		}
	}
	return -1
}

func cutRunes(s string, n int) string {
	rs := []rune(s)[:n]
	if j := strings.LastIndexFunc(string(rs), unicode.IsSpace); j > 0 {
		return string(rs)[:j]
	}
	return string(rs)
}
