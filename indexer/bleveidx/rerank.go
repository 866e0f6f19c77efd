package bleveidx

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Second-stage ranking. BM25 ranks every match; the first rerankWindow of a search typed by a user are then
// ranked again by BM25 together with a query-likelihood language model (Dirichlet smoothing) of the query's
// syllables and of its syllable pairs. The two models fail on different documents: BM25 saturates a term's
// frequency and weighs by idf², the language model counts every occurrence against the term's share of the
// collection and normalises length in its own way. On the development sets (ketnoi eval search, 1,312 UNC
// and 1,000 ViCoV19QA queries) fusing them raised nDCG@10 from 0.762 to 0.790 and from 0.406 to 0.425,
// where no setting of BM25 alone went above 0.77 and 0.41. Each signal is standardised over the window
// (z-scores), so that the weights do not depend on a query's length or on the collection's scale.
//
// Everything comes from the index: term frequencies from the postings of the query's keys in the unigram
// fields, pair frequencies from the combined folded bigram field, document lengths from the "ntok" doc
// value, read once per segment into the facet tables (facets.go). A term's collection frequency, which
// bleve does not keep, is estimated field by field as its document frequency times its mean frequency in
// the window's documents that have it: one pass over the postings each key needs anyway, within 0.001 of
// the exact count's nDCG@10 on both sets. Indexes built before the "ntok" field keep BM25's order until
// they are rebuilt (ketnoi reindex); Outdated says so.
const (
	rerankWindow    = 100
	rerankMinHits   = 10    // fewer: standardising over a handful of hits would blow any difference up
	lmMu            = 500.0 // Dirichlet prior, in syllables
	lmUnigramWeight = 2.0   // z(BM25) + 2·z(unigram LM) + 0.5·z(pair LM), chosen on the development sets
	lmBigramWeight  = 0.5
)

// secondStage turns the second stage on; the evaluation tests turn it off to measure what it adds.
var secondStage = true

// rerankable says whether the second stage ranks req: a query a user typed (not the matcher's long,
// weighted, expanded ones, whose scores its own components are fitted to), ordered by relevance.
func rerankable(req *indexer.SearchRequest) bool {
	return req.Sort == "" && req.Query.MaxTerms == 0 && len(req.Query.Expansions) == 0 &&
		len(req.Query.Terms)+len(req.Query.Phrases) > 0
}

// windowScores gives the scores the whole query gives the documents of its re-ranked window, for a search
// restricted to some documents (SearchRequest.IDs) to score them alike.
func (x *Index) windowScores(ctx context.Context, req *indexer.SearchRequest) (map[string]float64, error) {
	w := *req
	w.IDs, w.From, w.Size, w.After, w.Facets, w.Highlight, w.ScoresOnly = nil, 0, rerankWindow, "", nil, false, true
	res, err := x.Search(ctx, &w)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Score
	}
	return out, nil
}

// countTokens counts the syllables of texts as the analyzers cut them.
func countTokens(texts ...string) int {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	n := 0
	for _, t := range texts {
		if t != "" {
			sc.spans = appendSpans(sc.spans[:0], []byte(t))
			n += len(sc.spans)
		}
	}
	return n
}

// queryKeys cuts the query's terms and phrases into index keys, exact when the query has diacritics and
// folded otherwise (as the first stage reads it), and lists the pairs of neighbouring syllables as folded
// bigram keys. The terms follow each other as typed; each phrase is a sequence of its own.
func queryKeys(terms, phrases []string) (uni map[string]int, pairs map[string]int, folded bool) {
	folded = !vntext.HasDiacritics(strings.Join(terms, " ") + " " + strings.Join(phrases, " "))
	uni, pairs = map[string]int{}, map[string]int{}
	run := func(texts []string) {
		var prev []byte
		for _, t := range texts {
			b := []byte(t)
			for _, sp := range appendSpans(nil, b) {
				tok := b[sp.start:sp.end]
				var key []byte
				if folded {
					key = vntext.AppendFoldKey(nil, tok)
				} else {
					key = vntext.AppendKey(nil, tok)
				}
				uni[string(key)]++
				f := vntext.AppendFoldKey(nil, tok)
				if prev != nil {
					pairs[string(prev)+"_"+string(f)]++
				}
				prev = f
			}
		}
	}
	run(terms)
	for _, ph := range phrases {
		run([]string{ph})
	}
	return uni, pairs, folded
}

// candidate is one hit of the window as the second stage sees it.
type candidate struct {
	hit    *search.DocumentMatch
	pos    int // place in the window, which the per-key frequencies are indexed by
	iid    index.IndexInternalID
	length float64
	score  float64
}

// rerank orders hits (the first stage's best, best first) by the fused score and rescales their scores into
// the first stage's range, so that they stay above every hit after the window. It leaves hits as they are
// when the index has no document lengths.
func (x *Index) rerank(ctx context.Context, r index.IndexReader, terms, phrases []string, hits []*search.DocumentMatch) error {
	if len(hits) < rerankMinHits || !secondStage || !x.lengthsKept {
		return nil
	}
	uni, pairs, folded := queryKeys(terms, phrases)
	if len(uni) == 0 {
		return nil
	}
	cs := make([]*candidate, 0, len(hits))
	byID := make([]*candidate, 0, len(hits))
	for i, h := range hits {
		iid, err := r.InternalID(h.ID)
		if err != nil {
			return fmt.Errorf("bleveidx: rerank: %w", err)
		}
		c := &candidate{hit: h, pos: i}
		if len(iid) > 0 { // else deleted since the first stage: no frequencies, ranked by BM25 alone
			c.iid = append(index.IndexInternalID(nil), iid...)
			byID = append(byID, c)
		}
		cs = append(cs, c)
	}
	// In internal id order: postings are read forwards.
	sort.Slice(byID, func(i, j int) bool { return bytes.Compare(byID[i].iid, byID[j].iid) < 0 })
	tokens, err := x.lengths(r, cs, byID)
	if err != nil || tokens <= 0 {
		return err
	}

	suffix := ""
	if folded {
		suffix = sufFolded
	}
	lm, blm := make([]float64, len(cs)), make([]float64, len(cs))
	freq := make([]float64, len(cs)) // one key's frequency in each candidate
	// Keys in order, so that sums, and so ties, come out the same on every run.
	for _, key := range slices.Sorted(maps.Keys(uni)) {
		if err := ctx.Err(); err != nil { // a search past its deadline stops here too
			return fmt.Errorf("bleveidx: rerank: %w", err)
		}
		clear(freq)
		var cf float64
		for _, f := range textFields {
			df, mean, err := frequencies(ctx, r, key, f.name+suffix, byID, freq)
			if err != nil {
				return err
			}
			cf += df * mean
		}
		addLM(lm, freq, cs, float64(uni[key]), (cf+0.5)/tokens)
	}
	if x.layout.combined && x.layout.folded {
		for _, key := range slices.Sorted(maps.Keys(pairs)) {
			clear(freq)
			// The pair's document frequency stands for its collection frequency: most pairs occur once in a
			// document.
			df, _, err := frequencies(ctx, r, key, fText+sufFoldedBigram, byID, freq)
			if err != nil {
				return err
			}
			addLM(blm, freq, cs, float64(pairs[key]), (df+0.5)/tokens)
		}
	}

	fuse(cs, hits, lm, blm)
	return nil
}

// addLM adds one query key's term to each candidate's query log-likelihood (Dirichlet smoothing): qtf times
// the log of the smoothed probability over the collection's, p.
func addLM(lm, freq []float64, cs []*candidate, qtf, p float64) {
	for i, c := range cs {
		lm[i] += qtf * math.Log((freq[i]+lmMu*p)/(c.length+lmMu)/p)
	}
}

// lengths sets each candidate's length in syllables and returns the collection's, 0 when the index keeps
// none. They come from the per-segment tables the facets are counted from (facets.go), read once per
// segment, where a doc value visit decompresses a chunk per document. A candidate without one (deleted
// since the first stage) gets the mean of the others.
func (x *Index) lengths(r index.IndexReader, cs, byID []*candidate) (float64, error) {
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return 0, nil
	}
	tables, offsets, err := x.facets.snapshot(is)
	if err != nil {
		return 0, fmt.Errorf("bleveidx: rerank: %w", err)
	}
	// The tables cover every document a segment holds, deleted ones too; the postings do not count those.
	var tokens float64
	for i, s := range is.Segments() {
		tokens += tables[i].tokenSum
		if del := s.Deleted(); del != nil {
			for it := del.Iterator(); it.HasNext(); {
				if d := uint64(it.Next()); d < uint64(len(tables[i].tokens)) {
					tokens -= float64(tables[i].tokens[d])
				}
			}
		}
	}
	known, sum := 0, 0.0
	for _, c := range byID {
		g := c.iid.Value()
		seg := sort.Search(len(tables), func(i int) bool { return offsets[i+1] > g })
		if seg < len(tables) {
			c.length = float64(tables[seg].tokens[g-offsets[seg]])
		}
		if c.length > 0 {
			known++
			sum += c.length
		}
	}
	if known == 0 {
		return 0, nil
	}
	for _, c := range cs {
		if c.length == 0 {
			c.length = sum / float64(known)
		}
	}
	return tokens, nil
}

// fuse orders hits by z(BM25) + lmUnigramWeight·z(lm) + lmBigramWeight·z(blm) (cs aligned with hits) and
// maps the fused scores onto the first stage's range in the window, so that they stay above every hit after
// it.
func fuse(cs []*candidate, hits []*search.DocumentMatch, lm, blm []float64) {
	bm := make([]float64, len(cs))
	for i, c := range cs {
		bm[i] = c.hit.Score
	}
	zbm, zlm, zblm := zscores(bm), zscores(lm), zscores(blm)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, c := range cs {
		c.score = zbm[i] + lmUnigramWeight*zlm[i] + lmBigramWeight*zblm[i]
		lo, hi = math.Min(lo, c.score), math.Max(hi, c.score)
	}
	smin, smax := math.Inf(1), math.Inf(-1)
	for _, h := range hits {
		smin, smax = math.Min(smin, h.Score), math.Max(smax, h.Score)
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	for i, c := range cs {
		if hi > lo {
			c.hit.Score = smin + (c.score-lo)/(hi-lo)*(smax-smin)
		}
		hits[i] = c.hit
	}
}

// frequencies reads one key's postings in one field: it adds the key's frequency in each candidate that
// has it to freq (by the candidate's place; byID in internal id order) and returns the key's document
// frequency in the field and its mean frequency in the candidates that have it (1 when none has).
func frequencies(ctx context.Context, r index.IndexReader, key, field string, byID []*candidate,
	freq []float64) (df, mean float64, err error) {
	tfr, err := r.TermFieldReader(ctx, []byte(key), field, true, false, false)
	if err != nil {
		return 0, 0, fmt.Errorf("bleveidx: rerank: postings of %q in %s: %w", key, field, err)
	}
	defer tfr.Close()
	df = float64(tfr.Count())
	if df == 0 {
		return 0, 1, nil
	}
	var doc index.TermFieldDoc
	var at index.IndexInternalID // where the reader stands, and the key's frequency there
	var atFreq float64
	var n, sum float64
	for _, c := range byID {
		// Never ask for a document the reader has reached: scorch seeks backwards by opening the postings
		// again.
		if at == nil || bytes.Compare(at, c.iid) < 0 {
			d, err := tfr.Advance(c.iid, doc.Reset())
			if err != nil {
				return 0, 0, fmt.Errorf("bleveidx: rerank: postings of %q in %s: %w", key, field, err)
			}
			if d == nil {
				break
			}
			at, atFreq = append(at[:0], d.ID...), float64(d.Freq)
		}
		if bytes.Equal(at, c.iid) {
			freq[c.pos] += atFreq
			n, sum = n+1, sum+atFreq
		}
	}
	mean = 1
	if n > 0 {
		mean = sum / n
	}
	return df, mean, nil
}

// zscores standardises v; a constant signal gives zeros.
func zscores(v []float64) []float64 {
	var mean, sq float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(sq / float64(len(v)))
	out := make([]float64, len(v))
	if sd < 1e-12 {
		return out
	}
	for i, x := range v {
		out[i] = (x - mean) / sd
	}
	return out
}
