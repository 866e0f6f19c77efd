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
	"sort"
	"strings"
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
)

// Records gives the matcher the full records of candidates.
type Records interface {
	Record(id string) (corpus.Record, error)
}

// Matcher ranks results for needs.
type Matcher struct {
	idx     indexer.Index
	records Records
	w       Weights
	// Now is the current year, for freshness; set by New, replaceable in tests.
	Now int
}

// New returns a matcher over an index and the records behind it.
func New(idx indexer.Index, records Records, w Weights, currentYear int) *Matcher {
	return &Matcher{idx: idx, records: records, w: w, Now: currentYear}
}

// Match is one proposed result for a need, with its explanation.
type Match struct {
	ID           string
	Title        string
	Organization string
	Year         int
	TRL          int
	Score        float64
	// Components maps each component name to its value in [0, 1].
	Components map[string]float64
	// Reasons are short Vietnamese sentences, the strongest contributions first, then what lowered the score.
	Reasons []string
	// Missing names the components whose information was missing on either side (scored as neutral 0.5).
	Missing      []string
	MatchedTerms []string
	Fragments    map[string][]string
	Page         int
	// TRLGap is need.MinTRL - result.TRL when positive: the result is a co-development candidate.
	TRLGap         int
	CoDevelopment  bool
	MatchedFields  []string // field codes in common (with their parents)
	MatchedSectors []string
}

// MaxNeedRunes bounds the need text used for candidates.
const MaxNeedRunes = 4000

// Match ranks results for a need.
func (m *Matcher) Match(ctx context.Context, need *corpus.Need, size int) ([]Match, error) {
	if need == nil || strings.TrimSpace(need.Title+need.Description) == "" {
		return nil, errors.New("nhu cầu không có tiêu đề hay mô tả để ghép nối")
	}
	text := need.Title + "\n" + need.Description
	if utf8.RuneCountInString(text) > MaxNeedRunes {
		text = string([]rune(text)[:MaxNeedRunes])
	}
	q := indexer.Query{Terms: informativeTerms(text)}
	res, err := m.idx.Search(ctx, &indexer.SearchRequest{
		Query: q, Kinds: []string{indexer.KindResult}, Size: m.w.Candidates, Highlight: true,
		ExcludeIDs: []string{need.ID},
	})
	if err != nil {
		return nil, fmt.Errorf("tìm ứng viên: %w", err)
	}
	maxScore := 0.0
	for _, h := range res.Hits {
		if h.Score > maxScore {
			maxScore = h.Score
		}
	}
	out := make([]Match, 0, len(res.Hits))
	for _, h := range res.Hits {
		rec, err := m.records.Record(h.ID)
		if err != nil {
			return nil, fmt.Errorf("đọc kết quả %s: %w", h.ID, err)
		}
		r, ok := rec.(*corpus.Result)
		if !ok {
			continue
		}
		mt := m.score(need, r, h, maxScore)
		out = append(out, mt)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if size > 0 && len(out) > size {
		out = out[:size]
	}
	return out, nil
}

// stopSyllables are frequent function syllables that carry no topic; dropping them keeps the candidate query
// short (long queries are slow) and its ranking on what the need is about.
var stopSyllables = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`va la cua cho cac nhung mot co duoc trong voi de khi thi ma nay do tu tai ve den
		nhu nen vi neu hay hoac cung da dang se rat qua lam nhieu it khong chua chung toi ta minh ban can muon
		bi o ra vao len xuong the nao gi sao ai dau bao moi tung con cai chiec nguoi viec thu nhat hon theo
		tren duoi sau truoc giua ngoai cach phai co_the`) {
		stopSyllables[s] = true
	}
}

// informativeTerms picks the need's words worth searching for: no function syllables, no duplicates, at
// most 48 of them.
func informativeTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(vntext.Normalize(text), func(r rune) bool {
		return !(r == '-' || r == '_' || isWordRune(r))
	}) {
		k := vntext.FoldKey(w)
		if utf8.RuneCountInString(k) < 2 || stopSyllables[k] || seen[vntext.Key(w)] {
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

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != 0xa0
}
