package bleveidx

import (
	"context"
	"sort"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Spelling suggestions ("Có phải bạn muốn tìm ..."). A typed word none of whose documents exist is
// probably misspelt: the nearest word of the index's dictionaries (edit distance 1, or 2 for long words),
// the most frequent at that distance, replaces it. The dictionaries hold every indexed word, the
// confidential needs' too, so a suggestion is only made when the corrected query finds something with the
// very same request (kinds, confidentiality, filters) finds something with the corrected word alone: a word
// known only from a need the caller may not see can never be suggested.

// maxCorrections bounds the words corrected in one query (each costs a dictionary walk per field).
const maxCorrections = 4

func (x *Index) suggest(ctx context.Context, bi bleve.Index, st *readerStats, req *indexer.SearchRequest) []indexer.Correction {
	if st == nil || len(req.Query.Terms) == 0 {
		return nil
	}
	fz, ok := st.r.(index.IndexReaderFuzzy)
	if !ok {
		return nil
	}
	var out []indexer.Correction
	for _, w := range req.Query.Terms {
		toks := foldedAnalyzer.Analyze([]byte(w))
		if len(toks) != 1 || toks[0].Type == analysis.Numeric || utf8.RuneCount(toks[0].Term) < 3 ||
			st.known(string(toks[0].Term)) {
			continue
		}
		if c, suffix := nearest(fz, w); c != "" && x.findsAlone(ctx, bi, req, c, suffix) {
			out = append(out, indexer.Correction{Word: w, Suggestion: c})
		}
		if len(out) == maxCorrections {
			break
		}
	}
	return out
}

// findsAlone reports whether the dictionary term (of the fields with suffix) alone finds something with
// req's kinds, confidentiality and filters, in those same fields: a folded match of another spelling must
// not vouch for an accented word that only a hidden need contains.
func (x *Index) findsAlone(ctx context.Context, bi bleve.Index, req *indexer.SearchRequest, term, suffix string) bool {
	alts := make([]query.Query, 0, len(textFields))
	for _, f := range textFields {
		tq := query.NewTermQuery(term)
		tq.SetField(f.name + suffix)
		alts = append(alts, tq)
	}
	check := *req
	check.Query = indexer.Query{}
	p := x.translate(&check, nil)
	p.text = query.NewBooleanQuery([]query.Query{query.NewDisjunctionQuery(alts)}, nil, nil)
	br := bleve.NewSearchRequestOptions(p.query(""), 1, 0, false)
	br.Score = "none"
	res, err := bi.SearchInContext(ctx, br)
	return err == nil && res.Total > 0
}

// nearest is the dictionary word nearest to w: in the exact (accented) fields when w has diacritics, in the
// folded ones otherwise, so that the suggestion keeps the user's way of typing.
func nearest(fz index.IndexReaderFuzzy, w string) (string, string) {
	a, suffix := foldedAnalyzer, sufFolded
	if vntext.HasDiacritics(w) {
		a, suffix = exactAnalyzer, ""
	}
	toks := a.Analyze([]byte(w))
	if len(toks) != 1 {
		return "", ""
	}
	term := string(toks[0].Term)
	type cand struct {
		term  string
		dist  int
		count uint64
	}
	best := map[string]*cand{}
	for dist := 1; dist <= 2 && len(best) == 0; dist++ {
		if dist == 2 && utf8.RuneCountInString(term) < 6 {
			break // short Vietnamese syllables have too many neighbours at distance 2
		}
		for _, f := range textFields {
			d, err := fz.FieldDictFuzzy(f.name+suffix, term, dist, "")
			if err != nil {
				continue
			}
			for e, err := d.Next(); err == nil && e != nil; e, err = d.Next() {
				if e.Term == term {
					continue
				}
				c := best[e.Term]
				if c == nil {
					c = &cand{term: e.Term, dist: dist}
					best[e.Term] = c
				}
				c.count += e.Count
			}
			d.Close()
		}
	}
	if len(best) == 0 {
		return "", ""
	}
	cs := make([]*cand, 0, len(best))
	for _, c := range best {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].count != cs[j].count {
			return cs[i].count > cs[j].count
		}
		return cs[i].term < cs[j].term
	})
	return cs[0].term, suffix
}
