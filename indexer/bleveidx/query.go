package bleveidx

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Ranking weights, relative to a field's boost.
const (
	// foldedWeight is the weight of the folded variants when the query has diacritics: unaccented and
	// differently accented spellings are still found, below the exact ones.
	foldedWeight = 0.4
	// fuzzyMinRunes: shorter Vietnamese syllables have too many neighbours at distance 1 (ca, cá, co, cô...).
	fuzzyMinRunes = 4
	// nameWeight is the weight of organisation and author names for plain terms.
	nameWeight = 1.0
)

// fuzzyWeight is the weight of the edit-distance-1 variants of long syllables (typos); 0 turns them off. A
// variable only so that the ranking measurements can compare.
var fuzzyWeight = 0.1

// Paging limits.
const (
	defaultSize  = 10
	maxSize      = 100
	maxWindow    = 10000
	defaultFacet = 10
	maxFacet     = 1000
)

// plan is a translated request: the text query and the filters, each filter tagged with the facet it
// restricts so that a facet can be counted without its own filter.
type plan struct {
	text query.Query // nil for an empty query
	// shown is text with the common syllables kept and without the clauses that give no term locations of
	// their own, for the presentation search over the page only: common syllables are highlighted and
	// reported as matched even though they did not rank.
	shown   query.Query
	filters []filterPart
	// only, when set, restricts the query to some documents (SearchRequest.IDs).
	only  query.Query
	terms []string // query terms and phrases as typed, for MatchedTerms
}

func (x *Index) translate(req *indexer.SearchRequest, st termStats) plan {
	p := plan{text: x.textQuery(req.Query, st), filters: buildFilters(req)}
	if len(req.IDs) > 0 {
		// A conjunction, not a filter, for the reason given in present; boost 0 leaves every score as the
		// unrestricted query gives it.
		ids := query.NewDocIDQuery(req.IDs)
		ids.SetBoost(0)
		p.only = ids
	}
	if p.text != nil {
		shownStats := st
		if st != nil && x.bigrams {
			shownStats = keepCommon{st}
		}
		p.shown = x.locationsQuery(req.Query, shownStats)
		p.terms = append(append(p.terms, req.Query.Terms...), req.Query.Phrases...)
		for _, e := range req.Query.Expansions {
			p.terms = append(p.terms, e.Text)
		}
	}
	return p
}

// ranked reports whether the query has anything to rank by (terms, phrases, clauses); exclusions alone do
// not, and are listed like an empty query.
func (p plan) ranked() bool {
	bq, ok := p.text.(*query.BooleanQuery)
	return ok && (bq.Must != nil || bq.Should != nil)
}

// query returns the full query with every filter except the one of skipFacet.
func (p plan) query(skipFacet string) query.Query {
	var fs, not []query.Query
	for _, f := range p.filters {
		switch {
		case skipFacet != "" && f.facet == skipFacet:
		case f.exclude:
			not = append(not, f.q)
		default:
			fs = append(fs, f.q)
		}
	}
	bq, ok := p.text.(*query.BooleanQuery)
	if !ok {
		bq = query.NewBooleanQuery(nil, nil, nil)
	} else {
		c := *bq // the text query is shared by the facet searches: never mutate it
		bq = &c
	}
	if len(not) > 0 {
		if bq.MustNot != nil {
			not = append([]query.Query{bq.MustNot}, not...)
		}
		bq.MustNot = query.NewDisjunctionQuery(not)
	}
	if len(fs) > 0 {
		bq.AddFilter(query.NewConjunctionQuery(fs))
	}
	if p.only != nil {
		return query.NewConjunctionQuery([]query.Query{p.only, bq})
	}
	return bq
}

func matchQ(text, field, analyzer string, boost float64, and bool) query.Query {
	q := query.NewMatchQuery(text)
	q.SetField(field)
	q.Analyzer = analyzer // always explicit: renamed fields would otherwise get the default analyzer
	q.SetBoost(boost)
	if and {
		q.SetOperator(query.MatchQueryOperatorAnd)
	}
	return q
}

func phraseQ(text, field, analyzer string, boost float64) query.Query {
	q := query.NewMatchPhraseQuery(text)
	q.SetField(field)
	q.Analyzer = analyzer
	q.SetBoost(boost)
	return q
}

func disj(qs []query.Query, min float64) *query.DisjunctionQuery {
	d := query.NewDisjunctionQuery(qs)
	d.SetMin(min)
	return d
}

// analyzes reports whether text holds at least one token with a key. A run of combining marks with no
// letter is a token of the tokenizer that the key filters drop: text of only such runs would otherwise make
// match queries that match nothing (a query of it found no document instead of every one).
func analyzes(text string) bool {
	return len(foldedAnalyzer.Analyze([]byte(text))) > 0
}

// termStats answers questions about folded syllables in the index while a query is translated.
type termStats interface {
	// known reports whether the syllable occurs in any folded text field.
	known(term string) bool
	// common reports whether the syllable occurs in more than commonShare of the documents.
	common(term string) bool
	// df is the syllable's largest document frequency over the folded text fields.
	df(term string) uint64
}

// keepCommon answers like its termStats but finds nothing common.
type keepCommon struct{ termStats }

func (keepCommon) common(string) bool { return false }

// commonShare: with bigram fields, syllables in more documents than this share ("của", "và", "các") are left
// out of the unigram part of the query when the query has rarer ones. Their BM25 weight is near zero but
// their postings are the longest, and a multi-field disjunction pays for every one of their documents; the
// bigram fields still carry them ("ngân_hàng", "của_bộ"). On the eval sets this halved query time (UNC 31 →
// 14 ms) for at most -0.01 MRR; without bigrams it cost a quarter of the MRR, so it applies only with them.
//
// Pruning drops the documents that have only common syllables of the query, so it applies only to indexes of
// pruneMinDocs documents or more, where it pays: a small index answers fast anyway, and keeps every match.
// There, 0.15 rather than 0.3 gave 20% more searches/s on 100,000 results (32 at a time, every facet), for
// an nDCG@10 change of -0.003 on UNC and +0.002 on ViCoV19QA (1,000 queries each, pruning forced on; with
// no pruning at all: +0.000 and +0.000); at 0.08 both sets lost. A variable only so that measurements can
// compare.
var commonShare = 0.15

const pruneMinDocs = 10000

// uncommon returns terms without its common syllables, or terms itself when nothing would be left.
func uncommon(terms string, st termStats) string {
	if st == nil || commonShare <= 0 {
		return terms
	}
	var b strings.Builder
	dropped := false
	for _, t := range foldedAnalyzer.Analyze([]byte(terms)) {
		if st.common(string(t.Term)) {
			dropped = true
			continue
		}
		b.WriteString(terms[t.Start:t.End])
		b.WriteByte(' ')
	}
	if !dropped || b.Len() == 0 {
		return terms
	}
	return b.String()
}

// termDisjunctions returns, for each distinct term that a analyzes text into, a disjunction of that term over
// every text field (suffix picks the variant), all fields weighted alike. A term's evidence is summed across
// fields, and the coordination factor of the enclosing disjunction rewards documents that match more of the
// query's terms. Measured against one match query per field with title and keywords boosted (400 queries
// each, MRR@10): UNC 0.570 → 0.635, ViCoV19QA 0.278 → 0.297.
func termDisjunctions(text string, a analysis.Analyzer, suffix string, w float64) []query.Query {
	return termDisjunctionsIn(text, a, textFieldNames(), suffix, w)
}

func textFieldNames() []string {
	names := make([]string, len(textFields))
	for i, f := range textFields {
		names[i] = f.name
	}
	return names
}

// termDisjunctionsIn is termDisjunctions over the given fields.
func termDisjunctionsIn(text string, a analysis.Analyzer, fields []string, suffix string, w float64) []query.Query {
	return termDisjunctionsSeen(text, a, fields, suffix, w, map[string]bool{})
}

// termDisjunctionsSeen is termDisjunctionsIn skipping, and then recording, the terms in seen.
func termDisjunctionsSeen(text string, a analysis.Analyzer, fields []string, suffix string, w float64, seen map[string]bool) []query.Query {
	names := make([]string, len(fields)) // shared by the term queries, which never change it
	for i, f := range fields {
		names[i] = f + suffix
	}
	var out []query.Query
	for _, tk := range a.Analyze([]byte(text)) {
		term := string(tk.Term)
		if seen[term] {
			continue
		}
		seen[term] = true
		out = append(out, newFieldsTermQuery(term, names, w))
	}
	return out
}

// textQuery translates the parsed query; nil means "match everything" (nothing searchable was typed). st may
// be nil (no statistics: nothing is known or common).
func (x *Index) textQuery(q indexer.Query, st termStats) query.Query {
	return x.buildTextQuery(q, st, false)
}

// locationsQuery is textQuery for the presentation search, which only collects term locations on the page's
// documents: the exact variants of the words (every exact match is also a folded match, at the same
// offsets) and the bigram fields (no term vectors) are left out. Each term searcher of that search walks its
// postings up to the page's last document (zapx advances through the freq/norm chunks one posting at a
// time), so on 100,000 results this took a tenth of the searches' time, accented queries twice that.
func (x *Index) locationsQuery(q indexer.Query, st termStats) query.Query {
	return x.buildTextQuery(q, st, true)
}

func (x *Index) buildTextQuery(q indexer.Query, st termStats, locations bool) query.Query {
	var must, should, mustNot []query.Query
	accented := vntext.HasDiacritics(q.Text())

	if terms := rarest(q.Terms, q.MaxTerms, q.KeepTerms, st); analyzes(terms) {
		uni := terms
		if x.bigrams {
			uni = uncommon(terms, st)
		}
		// Bigrams in the fields the index has (see bigramLayout): exact ones for an accented query where
		// there are any, folded ones otherwise.
		bl := x.layout
		switch {
		case locations:
			should = append(should, termDisjunctions(uni, foldedAnalyzer, sufFolded, 1)...)
		case accented:
			should = append(should, termDisjunctions(uni, exactAnalyzer, "", 1)...)
			if bl.exact {
				should = append(should, termDisjunctionsIn(terms, exactBigramAnalyzer, bl.fields(), sufBigram, 1)...)
			} else if bl.folded {
				should = append(should, termDisjunctionsIn(terms, foldedBigramAnalyzer, bl.fields(), sufFoldedBigram, 1)...)
			}
			should = append(should, termDisjunctions(uni, foldedAnalyzer, sufFolded, foldedWeight)...)
		default:
			should = append(should, termDisjunctions(uni, foldedAnalyzer, sufFolded, 1)...)
			if bl.folded {
				should = append(should, termDisjunctionsIn(terms, foldedBigramAnalyzer, bl.fields(), sufFoldedBigram, 1)...)
			}
		}
		for _, name := range []string{fOrganizationF, fAuthorsF} {
			should = append(should, matchQ(uni, name, AnalyzerFolded, nameWeight, false))
		}
		if fz := fuzzyQuery(terms, st); fz != nil {
			should = append(should, fz)
		}
	}
	should = append(should, x.expansionQueries(q, st)...)
	for _, ph := range q.Phrases {
		if !analyzes(ph) {
			continue
		}
		suffix, analyzer := sufFolded, AnalyzerFolded
		if vntext.HasDiacritics(ph) {
			suffix, analyzer = "", AnalyzerExact
		}
		var alts []query.Query
		for _, f := range textFields {
			alts = append(alts, phraseQ(ph, f.name+suffix, analyzer, f.boost))
		}
		if q.RankPhrases {
			should = append(should, disj(alts, 1))
		} else {
			must = append(must, disj(alts, 1))
		}
	}
	for _, ex := range q.Excluded {
		if !analyzes(ex) {
			continue
		}
		for _, f := range textFields {
			mustNot = append(mustNot, phraseQ(ex, f.name+sufFolded, AnalyzerFolded, 1))
		}
	}
	for _, c := range q.Clauses {
		switch c.Field {
		case indexer.ClauseAuthor, indexer.ClauseOrganization, indexer.ClauseTitle:
			if !analyzes(c.Value) {
				continue
			}
			field := map[string]string{indexer.ClauseAuthor: fAuthorsF, indexer.ClauseOrganization: fOrganizationF,
				indexer.ClauseTitle: fTitle + sufFolded}[c.Field]
			must = append(must, matchQ(c.Value, field, AnalyzerFolded, 1, true))
		case indexer.ClauseYear:
			must = append(must, numRange(fYear, c.Min, c.Max))
		}
	}
	if len(must)+len(should)+len(mustNot) == 0 {
		return nil
	}
	bq := query.NewBooleanQuery(must, nil, mustNot)
	if len(should) > 0 {
		// Next to a required phrase the terms only rank. Next to field clauses alone ("nước thải năm:2022")
		// at least one term must match, or the clause would list every record of 2022. Phrases that only
		// rank are clauses of the disjunction like the words.
		min := 0.0
		if len(q.Phrases) == 0 || q.RankPhrases {
			min = 1
		}
		bq.Should = newClauseQuery(should, min)
	}
	return bq
}

// expansionQueries ranks the program's added words on the folded fields: a single syllable as a term, a
// phrase, where the index has folded pairs, as the conjunction of its syllable pairs (nearly a phrase query,
// without positions: its single syllables, "thiết" and "bị" of "thiết bị sấy", would match any document,
// and so would its commonest pair alone). Each expansion is one clause of the enclosing disjunction, so
// that its coordination factor counts an added phrase as one matched word, and a syllable the user's own
// terms already search is not searched again.
func (x *Index) expansionQueries(q indexer.Query, st termStats) []query.Query {
	if len(q.Expansions) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, t := range foldedAnalyzer.Analyze([]byte(strings.Join(q.Terms, " "))) {
		seen[string(t.Term)] = true
	}
	bl := x.layout
	var out []query.Query
	for _, e := range q.Expansions {
		w := min(e.Weight, 1)
		if w <= 0 || !analyzes(e.Text) {
			continue
		}
		if bl.folded && len(foldedAnalyzer.Analyze([]byte(e.Text))) > 1 {
			key := "\x00" + vntext.FoldKey(e.Text)
			if seen[key] {
				continue
			}
			seen[key] = true
			pairs := termDisjunctionsIn(e.Text, foldedBigramAnalyzer, bl.fields(), sufFoldedBigram, w)
			if len(pairs) == 1 {
				out = append(out, pairs[0])
			} else {
				out = append(out, query.NewConjunctionQuery(pairs))
			}
			continue
		}
		text := e.Text
		if x.bigrams {
			text = uncommon(text, st)
		}
		switch parts := termDisjunctionsSeen(text, foldedAnalyzer, textFieldNames(), sufFolded, w, seen); len(parts) {
		case 0:
		case 1:
			out = append(out, parts[0])
		default:
			out = append(out, query.NewDisjunctionQuery(parts))
		}
	}
	return out
}

// rarest joins the words of terms that hold one of the limit rarest distinct folded syllables the index
// knows, in their order (so that adjacent kept words still make their pairs), the first keep words always
// included; all of them when limit is 0, when there are no statistics, or when the index knows none.
func rarest(terms []string, limit, keep int, st termStats) string {
	all := strings.Join(terms, " ")
	if limit <= 0 || st == nil {
		return all
	}
	type syl struct {
		term string
		df   uint64
	}
	keep = min(keep, len(terms))
	kept := map[string]bool{}
	for _, t := range foldedAnalyzer.Analyze([]byte(strings.Join(terms[:keep], " "))) {
		if st.df(string(t.Term)) > 0 {
			kept[string(t.Term)] = true
		}
	}
	var syls []syl
	seen := map[string]bool{}
	for _, t := range foldedAnalyzer.Analyze([]byte(all)) {
		term := string(t.Term)
		if seen[term] {
			continue
		}
		seen[term] = true
		if df := st.df(term); df > 0 && !kept[term] {
			syls = append(syls, syl{term, df})
		}
	}
	if len(syls)+len(kept) == 0 || len(syls)+len(kept) <= limit && len(syls)+len(kept) == len(seen) {
		return all
	}
	sort.SliceStable(syls, func(i, j int) bool { return syls[i].df < syls[j].df })
	for _, s := range syls[:min(max(0, limit-len(kept)), len(syls))] {
		kept[s.term] = true
	}
	var out []string
	for _, w := range terms {
		for _, t := range foldedAnalyzer.Analyze([]byte(w)) {
			if kept[string(t.Term)] {
				out = append(out, w)
				break
			}
		}
	}
	return strings.Join(out, " ")
}

// fuzzyQuery matches typos (edit distance 1, first letter kept) of the long syllables on the folded fields,
// at a low weight. Syllables the index knows are taken as spelled: a fuzzy term costs a Levenshtein automaton
// and a dictionary walk per field (on every syllable it doubled query time on the UNC set for +0.006 MRR),
// and a typo is almost always a syllable no document has.
func fuzzyQuery(terms string, st termStats) query.Query {
	if fuzzyWeight == 0 {
		return nil
	}
	var qs []query.Query
	seen := map[string]bool{}
	for _, t := range foldedAnalyzer.Analyze([]byte(terms)) {
		term := string(t.Term)
		if seen[term] || utf8.RuneCount(t.Term) < fuzzyMinRunes || t.Type == analysis.Numeric ||
			(st != nil && st.known(term)) {
			continue
		}
		seen[term] = true
		for _, f := range textFields {
			fq := query.NewFuzzyQuery(term)
			fq.SetField(f.name + sufFolded)
			fq.SetFuzziness(1)
			fq.SetPrefix(1)
			fq.SetBoost(f.boost * fuzzyWeight)
			qs = append(qs, fq)
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return disj(qs, 1)
}
