// Package matcher connects supply and demand: it ranks research results for an enterprise's need with a
// score built from named components (text relevance, field and sector agreement, TRL fit, transfer form,
// budget, locality, freshness, completeness), each in [0, 1], weighted by a configuration file, and explains
// every score in Vietnamese from the component values. It sees the search backend only through
// indexer.Index.
package matcher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Component names.
const (
	CompText         = "text"
	CompField        = "field"
	CompSector       = "sector"
	CompTRL          = "trl"
	CompTransfer     = "transfer"
	CompBudget       = "budget"
	CompLocality     = "locality"
	CompFreshness    = "freshness"
	CompCompleteness = "completeness"
	CompTopic        = "topic"
)

// Records gives the matcher the full records of candidates.
type Records interface {
	Record(id string) (corpus.Record, error)
}

// Matcher ranks results for needs and needs for results.
type Matcher struct {
	idx       indexer.Index
	records   Records
	w         Weights
	thesaurus *Thesaurus
	// Now is the current year, for freshness; set by New, replaceable in tests.
	Now int
}

// New returns a matcher over an index and the records behind it, with the shipped synonym list.
func New(idx indexer.Index, records Records, w Weights, currentYear int) *Matcher {
	return &Matcher{idx: idx, records: records, w: w, thesaurus: DefaultThesaurus(), Now: currentYear}
}

// Weights returns the matcher's configuration.
func (m *Matcher) Weights() Weights { return m.w }

// Match is one proposed counterpart, with its explanation: a result for a need (Kind "result"), or a need for
// a result (Kind "need", from Reverse).
type Match struct {
	Kind         string
	ID           string
	Title        string
	Organization string // the result's organisation; for a need, its enterprise unless anonymised
	Year         int
	TRL          int
	Score        float64
	// Components maps each component name to its value in [0, 1].
	Components map[string]float64
	// Reasons are short Vietnamese sentences, the strongest contributions first, then what lowered the score.
	Reasons []string
	// Missing names the components whose information was missing on either side (scored as neutral 0.5).
	Missing []string
	// MatchedTerms are the query's words found in the counterpart, regrouped into phrases ("cá cơm").
	MatchedTerms []string
	// Bridged are the words added by bridging (synonyms, feedback terms) that the counterpart states.
	Bridged   []string
	Fragments map[string][]string
	Page      int
	// TRLGap is need.MinTRL - result.TRL when positive: the result is a co-development candidate.
	TRLGap         int
	CoDevelopment  bool
	MatchedFields  []string // field codes in common (with their parents)
	MatchedSectors []string
	// Confidentiality is the need's level (Kind "need" only).
	Confidentiality string
}

// MaxNeedRunes bounds the need (or result) text used for candidates.
const MaxNeedRunes = 4000

// Plan is the candidate query built for a need: its informative words and what bridging added. It is part
// of the explanation ("searched for ... and, by synonym, ...").
type Plan struct {
	Terms    []string
	Synonyms []string
	Feedback []string
	// Note, when not nil, says why nothing was searched for (and so nothing matched).
	Note *Note
}

// Note explains an empty answer: Code is a fixed English identifier, Message says it in Vietnamese.
type Note struct {
	Code, Message string
}

// NoteNoTerms: the text has no word to search by.
const NoteNoTerms = "no_search_terms"

// noTerms is the note for a counterpart text (of a need, or of a result in reverse matching) that has no
// word to search by. Searching with no word would match everything, newest first, and score it: a list
// that means nothing.
func noTerms(reverse bool) *Note {
	if reverse {
		return &Note{Code: NoteNoTerms, Message: "Kết quả không có từ nào để tìm (tiêu đề, từ khóa, tóm tắt, ứng dụng chỉ có hư từ, " +
			"dấu câu hoặc con số) nên không ghép được với nhu cầu nào. Hãy ghi rõ công nghệ bằng vài từ có nghĩa."}
	}
	return &Note{Code: NoteNoTerms, Message: "Nhu cầu không có từ nào để tìm (tiêu đề và mô tả chỉ có hư từ, dấu câu hoặc con số) " +
		"nên không ghép được với kết quả nào. Hãy mô tả công nghệ cần tìm bằng vài từ có nghĩa, ví dụ “máy sấy cá cơm”."}
}

// searchable reports whether informative terms hold a word to search by: one with a letter. Numbers alone
// (a year, a quantity) name no topic, and would match whatever mentions them; beside words they count.
func searchable(terms []string) bool {
	for _, t := range terms {
		if strings.IndexFunc(t, unicode.IsLetter) >= 0 {
			return true
		}
	}
	return false
}

// Match ranks results for a need.
func (m *Matcher) Match(ctx context.Context, need *corpus.Need, size int) ([]Match, error) {
	ms, _, err := m.MatchPlan(ctx, need, size)
	return ms, err
}

// MatchPlan is Match that also returns the query it ran.
func (m *Matcher) MatchPlan(ctx context.Context, need *corpus.Need, size int) ([]Match, Plan, error) {
	if need == nil || strings.TrimSpace(need.Title+need.Description) == "" {
		return nil, Plan{}, errors.New("nhu cầu không có tiêu đề hay mô tả để ghép nối")
	}
	text := cutRunes(need.Title+"\n"+need.Description, MaxNeedRunes)
	// informativeTerms keeps first occurrences in order: the title's words come first.
	q, plan := m.candidateQuery(text, min(len(informativeTerms(need.Title)), m.w.TitleTerms))
	if !searchable(plan.Terms) {
		return []Match{}, Plan{Terms: []string{}, Note: noTerms(false)}, nil
	}
	exclude := []string{need.ID}
	if m.w.PRFTerms > 0 && m.w.PRFDocs >= 2 {
		// First pass: the best few candidates only, without highlights, on half the words (the rarest), to
		// learn what the corpus calls the need's topic at half the cost of a full pass.
		fq := q
		if fq.MaxTerms > 1 {
			fq.MaxTerms /= 2
		}
		first, err := m.idx.Search(ctx, &indexer.SearchRequest{
			Query: fq, Kinds: []string{indexer.KindResult}, Size: m.w.PRFDocs, ExcludeIDs: exclude,
		})
		if err != nil {
			return nil, plan, fmt.Errorf("tìm ứng viên (lượt đầu): %w", err)
		}
		var top []*corpus.Result
		for _, h := range first.Hits {
			if r, err := m.result(h.ID); err == nil && r != nil {
				top = append(top, r)
			}
		}
		plan.Feedback = feedbackTerms(top, text+" "+strings.Join(plan.Synonyms, " "), m.w.PRFTerms)
		for _, f := range plan.Feedback {
			q.Expansions = append(q.Expansions, indexer.Expansion{Text: f, Weight: feedbackWeight})
		}
	}
	res, err := m.idx.Search(ctx, &indexer.SearchRequest{
		Query: q, Kinds: []string{indexer.KindResult}, Size: m.w.Candidates, Highlight: true, ExcludeIDs: exclude,
	})
	if err != nil {
		return nil, plan, fmt.Errorf("tìm ứng viên: %w", err)
	}
	maxScore := topScore(res.Hits)
	out := make([]Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		r, err := m.result(h.ID)
		if err != nil {
			return nil, plan, err
		}
		if r == nil {
			continue
		}
		out = append(out, m.score(need, r, h, maxScore, queryText{text: text, expansions: expansionTexts(q.Expansions)}))
	}
	return rank(out, size), plan, nil
}

// candidateQuery is the full-text query for a counterpart's text: its informative words, ranked by the
// QueryTerms rarest with its first keep words always kept, and the synonyms of its phrases; and the plan
// that reports them.
func (m *Matcher) candidateQuery(text string, keep int) (indexer.Query, Plan) {
	plan := Plan{Terms: informativeTerms(text)}
	q := indexer.Query{Terms: plan.Terms, MaxTerms: m.w.QueryTerms, KeepTerms: keep, Expansions: m.synonymExpansions(text)}
	for _, e := range q.Expansions {
		plan.Synonyms = append(plan.Synonyms, e.Text)
	}
	return q, plan
}

// ReverseOptions says which needs the caller may see.
type ReverseOptions struct {
	// Confidentiality lists the levels returned; empty means public and anonymised (what anyone may see).
	// Only staff, broker and admin keys may add broker_only.
	Confidentiality []string
	// Exclude drops needs, e.g. closed or expired ones.
	Exclude func(*corpus.Need) bool
}

// Reverse ranks needs for a result: the same candidates-then-components function the other way. Anonymised
// needs come back without their enterprise.
func (m *Matcher) Reverse(ctx context.Context, r *corpus.Result, size int, opt ReverseOptions) ([]Match, Plan, error) {
	if r == nil || strings.TrimSpace(r.Title) == "" {
		return nil, Plan{}, errors.New("kết quả không có tiêu đề để ghép nối")
	}
	text := cutRunes(strings.Join([]string{r.Title, strings.Join(r.Keywords, ", "), r.Summary, r.Applications}, "\n"), MaxNeedRunes)
	q, plan := m.candidateQuery(text, 0)
	if !searchable(plan.Terms) {
		return []Match{}, Plan{Terms: []string{}, Note: noTerms(true)}, nil
	}
	conf := opt.Confidentiality
	if len(conf) == 0 {
		conf = []string{corpus.ConfPublic, corpus.ConfAnonymised}
	}
	res, err := m.idx.Search(ctx, &indexer.SearchRequest{
		Query: q, Kinds: []string{indexer.KindNeed}, Confidentiality: conf, Size: m.w.Candidates,
		Highlight: true, ExcludeIDs: []string{r.ID},
	})
	if err != nil {
		return nil, plan, fmt.Errorf("tìm nhu cầu ứng viên: %w", err)
	}
	// The needs left out (closed, expired, hidden) first: the text component is relative to the best
	// candidate, which must be one of those shown, or a closed need would lower every score.
	var hits []indexer.Hit
	var needs []*corpus.Need
	for _, h := range res.Hits {
		rec, err := m.records.Record(h.ID)
		if err != nil {
			return nil, plan, fmt.Errorf("đọc nhu cầu %s: %w", h.ID, err)
		}
		need, ok := rec.(*corpus.Need)
		if !ok || !slices.Contains(conf, need.EffectiveConfidentiality()) || (opt.Exclude != nil && opt.Exclude(need)) {
			continue
		}
		hits, needs = append(hits, h), append(needs, need)
	}
	maxScore := topScore(hits)
	out := make([]Match, 0, len(hits))
	for i, h := range hits {
		need := needs[i]
		mt := m.score(need, r, h, maxScore, queryText{text: text, expansions: expansionTexts(q.Expansions), reverse: true})
		mt.Kind, mt.ID, mt.Title, mt.Year, mt.TRL = corpus.KindNeed, need.ID, need.Title, 0, need.MinTRL
		mt.Organization = need.Enterprise
		mt.Confidentiality = need.EffectiveConfidentiality()
		if mt.Confidentiality == corpus.ConfAnonymised {
			mt.Organization = ""
		}
		out = append(out, mt)
	}
	return rank(out, size), plan, nil
}

// Similar ranks other results like r ("more like this"): its rarest words and synonyms, as in Reverse, over
// results, by text relevance alone (the structured components compare a need's wishes with an offer and
// mean nothing between two offers).
func (m *Matcher) Similar(ctx context.Context, r *corpus.Result, size int) ([]indexer.Hit, error) {
	if r == nil || strings.TrimSpace(r.Title) == "" {
		return nil, errors.New("kết quả không có tiêu đề")
	}
	text := cutRunes(strings.Join([]string{r.Title, strings.Join(r.Keywords, ", "), r.Summary}, "\n"), MaxNeedRunes)
	q, plan := m.candidateQuery(text, 0)
	if !searchable(plan.Terms) {
		return nil, nil // nothing to be like: not the newest results
	}
	res, err := m.idx.Search(ctx, &indexer.SearchRequest{
		Query: q, Kinds: []string{indexer.KindResult}, Size: size, Highlight: true, ExcludeIDs: []string{r.ID},
	})
	if err != nil {
		return nil, fmt.Errorf("tìm kết quả tương tự: %w", err)
	}
	return res.Hits, nil
}

// result reads a candidate result; nil without error when the id is not a result.
func (m *Matcher) result(id string) (*corpus.Result, error) {
	rec, err := m.records.Record(id)
	if err != nil {
		return nil, fmt.Errorf("đọc kết quả %s: %w", id, err)
	}
	r, _ := rec.(*corpus.Result)
	return r, nil
}

func expansionTexts(es []indexer.Expansion) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Text
	}
	return out
}

func topScore(hits []indexer.Hit) float64 {
	best := 0.0
	for _, h := range hits {
		best = max(best, h.Score)
	}
	return best
}

// rank orders matches by score (ties by id, for stable output) and keeps size of them (all when size ≤ 0).
func rank(out []Match, size int) []Match {
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if size > 0 && len(out) > size {
		out = out[:size]
	}
	return out
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n])
	}
	return s
}

// Function syllables carry no topic; dropping them keeps the candidate query short (long queries are slow)
// and its ranking on what the need is about. They are compared with their diacritics: folded, "trong"
// (in) would also drop "trồng" (to plant), "do" "đồ" (đồ gỗ), "khi" "khí" (khí sinh học), "tai" "tái"
// (tái chế), "the" "thẻ" (tôm thẻ). Only a text typed without any diacritic is compared folded.
var stopExact, stopFolded = map[string]bool{}, map[string]bool{}

func init() {
	for _, s := range strings.Fields(`và là của cho các những một có được trong với để khi thì mà này đó từ tại về đến
		như nên vì nếu hay hoặc cũng đã đang sẽ rất quá làm nhiều ít không chưa chúng tôi ta mình bạn cần muốn
		bị ở ra vào lên xuống thế nào gì sao ai đâu bao mọi từng còn cái chiếc người việc thứ nhất hơn theo
		trên dưới sau trước giữa ngoài cách phải hộ em anh chị ông bà họ vẫn lại rồi thì nữa đây kia ấy
		đều mỗi cả chỉ luôn vô tới`) {
		stopExact[vntext.Key(s)] = true
		stopFolded[vntext.FoldKey(s)] = true
	}
}

// isStop reports whether w is a function syllable: compared with its diacritics when the text has any.
func isStop(w string, accented bool) bool {
	if accented {
		return stopExact[vntext.Key(w)]
	}
	return stopFolded[vntext.FoldKey(w)]
}

// informativeTerms picks the need's words worth searching for: no function syllables, no duplicates, at
// most 48 of them.
func informativeTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	text = vntext.Normalize(text)
	accented := vntext.HasDiacritics(text)
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '-' || r == '_' || queryWordRune(r))
	}) {
		if utf8.RuneCountInString(vntext.FoldKey(w)) < 2 || isStop(w, accented) || seen[vntext.Key(w)] {
			continue
		}
		seen[vntext.Key(w)] = true
		out = append(out, w)
		if len(out) == 48 {
			break
		}
	}
	return out
}

// queryWordRune is what informativeTerms keeps in a word: anything but ASCII punctuation and spaces. The
// search's tokenizer drops the typographic punctuation this leaves on a word; splitting there too (30–40
// into 30 and 40) changed which words a need searches by and cost nDCG@5 on the labelled set (0.800 → 0.798).
func queryWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != 0xa0
}

func notWordRune(r rune) bool { return !isWordRune(r) }

// isWordRune reports whether r belongs to a word as the index's tokenizer cuts them: a letter, a digit or a
// combining mark. Typographic punctuation (– “ ” … «) is not part of the word it touches: as one, "“máy"
// and "sấy”" were words no result states, and a title with quotes or a dash scored less on topic.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
