// Package bleveidx is the bleve (scorch) backend of indexer.Index: an explicit mapping that indexes every
// text field twice (exact Vietnamese keys and diacritic-folded keys, optionally syllable bigrams of both),
// Vietnamese analysis components registered by name, query translation, facets that ignore their own filter,
// and highlights computed from term locations against the stored original text.
//
// The analyzers are stored by name in the index mapping, so any binary that opens an index must import this
// package; registration happens in init.
package bleveidx

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"ketnoi/corpus/vntext"
)

// Names of the analysis components, as stored in the index mapping.
const (
	TokenizerSyllable    = "vi_syllable"
	FilterKey            = "vi_key"
	FilterFold           = "vi_fold"
	FilterBigram         = "vi_bigram"
	AnalyzerExact        = "vi_exact"
	AnalyzerFolded       = "vi_folded"
	AnalyzerExactBigram  = "vi_exact_bigram"
	AnalyzerFoldedBigram = "vi_folded_bigram"
)

// maxTokenBytes drops longer "words" (base64, hashes, garbage from bad PDF extraction): they are never
// searched for and would only bloat the term dictionary.
const maxTokenBytes = 128

// The components are stateless, so one instance of each serves every goroutine.
var (
	syllableTokenizer = tokenizer{}
	keyFilter         = keyTokenFilter{}
	foldFilter        = foldTokenFilter{}
	bigramFilter      = bigramTokenFilter{}

	exactAnalyzer = &analysis.DefaultAnalyzer{Tokenizer: syllableTokenizer,
		TokenFilters: []analysis.TokenFilter{keyFilter}}
	// vntext.AppendFoldKey lowercases, NFC-normalises and strips every mark itself, so running vi_key first
	// would only cost time: FoldKey(Key(t)) == FoldKey(t) (checked in the tests).
	foldedAnalyzer = &analysis.DefaultAnalyzer{Tokenizer: syllableTokenizer,
		TokenFilters: []analysis.TokenFilter{foldFilter}}
	exactBigramAnalyzer = &analysis.DefaultAnalyzer{Tokenizer: syllableTokenizer,
		TokenFilters: []analysis.TokenFilter{keyFilter, bigramFilter}}
	foldedBigramAnalyzer = &analysis.DefaultAnalyzer{Tokenizer: syllableTokenizer,
		TokenFilters: []analysis.TokenFilter{foldFilter, bigramFilter}}
)

func init() {
	must := func(err error) {
		if err != nil {
			panic("bleveidx: " + err.Error())
		}
	}
	must(registry.RegisterTokenizer(TokenizerSyllable,
		func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
			return syllableTokenizer, nil
		}))
	for name, f := range map[string]analysis.TokenFilter{FilterKey: keyFilter, FilterFold: foldFilter, FilterBigram: bigramFilter} {
		must(registry.RegisterTokenFilter(name,
			func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) { return f, nil }))
	}
	for name, a := range map[string]analysis.Analyzer{AnalyzerExact: exactAnalyzer, AnalyzerFolded: foldedAnalyzer,
		AnalyzerExactBigram: exactBigramAnalyzer, AnalyzerFoldedBigram: foldedBigramAnalyzer} {
		must(registry.RegisterAnalyzer(name,
			func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) { return a, nil }))
	}
}

// asciiWord marks the ASCII bytes that belong to a word.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return t
}()

// isWordRune reports whether r is a letter, a digit or a combining mark (so NFD text stays in one token).
// The Latin blocks Vietnamese uses are answered without the unicode tables.
func isWordRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return asciiWord[r]
	case r >= 0xC0 && r <= 0x24F: // Latin-1 letters, Latin Extended-A/B (ă â đ ê ô ơ ư ...)
		return r != 0xD7 && r != 0xF7
	case r >= 0x300 && r <= 0x36F: // combining diacritical marks
		return true
	case r >= 0x1E00 && r <= 0x1EFF: // Latin Extended Additional (ạ ả ấ ầ ... ỹ)
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// decodeRune decodes the two- and three-byte sequences of Latin and Vietnamese letters inline; the rest goes
// to utf8.DecodeRune.
func decodeRune(p []byte) (rune, int) {
	if len(p) >= 2 && p[0]&0xE0 == 0xC0 && p[0] >= 0xC2 && p[1]&0xC0 == 0x80 {
		return rune(p[0]&0x1F)<<6 | rune(p[1]&0x3F), 2
	}
	if len(p) >= 3 && p[0] == 0xE1 && p[1]&0xC0 == 0x80 && p[2]&0xC0 == 0x80 { // U+1000–U+1FFF
		return 0x1000 | rune(p[1]&0x3F)<<6 | rune(p[2]&0x3F), 3
	}
	return utf8.DecodeRune(p)
}

// tokenSpan is one token: its byte offsets in the input.
type tokenSpan struct {
	start, end int
}

// appendSpans appends the tokens of input to dst: runs of letters, digits and combining marks, split on
// every other rune; runs longer than maxTokenBytes are left out. The tokenizer and the shared analysis of
// text fields (shared.go) both cut text here, so they cannot disagree.
func appendSpans(dst []tokenSpan, input []byte) []tokenSpan {
	for i := 0; i < len(input); {
		c := input[i]
		if c < utf8.RuneSelf && !asciiWord[c] {
			i++
			continue
		}
		start := i
		for i < len(input) {
			c = input[i]
			if c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				i++
				continue
			}
			// The letters of Vietnamese text without a call: U+00C0–U+023F but × and ÷, combining marks
			// U+0300–U+036F, and U+1E00–U+1EFF.
			if i+1 < len(input) && input[i+1]&0xC0 == 0x80 {
				c1 := input[i+1]
				if c >= 0xC4 && c <= 0xC8 || c == 0xC3 && c1 != 0x97 && c1 != 0xB7 || c == 0xCC || c == 0xCD && c1 <= 0xAF {
					i += 2
					continue
				}
				if c == 0xE1 && c1 >= 0xB8 && c1 <= 0xBB && i+2 < len(input) && input[i+2]&0xC0 == 0x80 {
					i += 3
					continue
				}
			}
			r, size := decodeRune(input[i:])
			if !isWordRune(r) {
				break
			}
			i += size
		}
		if i == start { // a non-ASCII separator
			_, size := utf8.DecodeRune(input[i:])
			i += size
			continue
		}
		if i-start > maxTokenBytes {
			continue
		}
		dst = append(dst, tokenSpan{start, i})
	}
	return dst
}

// allDigits reports whether a token is all digits (bleve's Numeric type). Tokens hold only word runes, so an
// ASCII byte is a digit when it is at most '9'; most tokens answer at their first byte.
func allDigits(tok []byte) bool {
	for i := 0; i < len(tok); {
		if c := tok[i]; c < utf8.RuneSelf {
			if c > '9' {
				return false
			}
			i++
			continue
		}
		r, size := decodeRune(tok[i:])
		if !unicode.IsDigit(r) {
			return false
		}
		i += size
	}
	return true
}

// tokenizer splits text with appendSpans. Terms are slices of the input, offsets are exact byte offsets into
// it, positions run 1, 2, 3, ...
type tokenizer struct{}

func (tokenizer) Tokenize(input []byte) analysis.TokenStream {
	sc := scratchPool.Get().(*scratch)
	spans := appendSpans(sc.spans[:0], input)
	// One slab for the tokens and one for the stream: analysis allocations dominate indexing time.
	toks := make([]analysis.Token, len(spans))
	ts := make(analysis.TokenStream, len(spans))
	for i, sp := range spans {
		typ := analysis.AlphaNumeric
		if allDigits(input[sp.start:sp.end]) {
			typ = analysis.Numeric
		}
		toks[i] = analysis.Token{Start: sp.start, End: sp.end, Term: input[sp.start:sp.end:sp.end], Position: i + 1, Type: typ}
		ts[i] = &toks[i]
	}
	sc.spans = spans
	scratchPool.Put(sc)
	return ts
}

// appendFunc is vntext.AppendKey or vntext.AppendFoldKey.
type appendFunc func(dst, tok []byte) []byte

// rewrite replaces every term by f(term), writing all new terms into one buffer owned by this call. Earlier
// terms keep pointing into the old array if the buffer grows; their capacity is clipped so that nothing
// appended later can overwrite them. Tokens whose key is empty are dropped.
func rewrite(ts analysis.TokenStream, f appendFunc) analysis.TokenStream {
	n := 0
	for _, t := range ts {
		n += len(t.Term)
	}
	buf := make([]byte, 0, n+n/8+8)
	out := ts[:0]
	for _, t := range ts {
		start := len(buf)
		buf = f(buf, t.Term)
		if len(buf) == start { // nothing left (a stray combining mark): no term
			continue
		}
		t.Term = buf[start:len(buf):len(buf)]
		out = append(out, t)
	}
	return out
}

// keyTokenFilter turns tokens into index keys: NFC, lowercase, Đ/Ð normalised, canonical tone placement.
type keyTokenFilter struct{}

func (keyTokenFilter) Filter(ts analysis.TokenStream) analysis.TokenStream {
	return rewrite(ts, vntext.AppendKey)
}

// foldTokenFilter turns tokens into folded keys: lowercase, no diacritics, đ → d.
type foldTokenFilter struct{}

func (foldTokenFilter) Filter(ts analysis.TokenStream) analysis.TokenStream {
	return rewrite(ts, vntext.AppendFoldKey)
}

// bigramTokenFilter replaces a stream of syllables by the stream of adjacent pairs "w1_w2", each spanning
// both syllables' offsets. Multi-syllable words ("khoa học", "công nghệ") then score as units. Tokens further
// apart than one position (a filter dropped something between them) do not pair.
type bigramTokenFilter struct{}

func (bigramTokenFilter) Filter(ts analysis.TokenStream) analysis.TokenStream {
	if len(ts) < 2 {
		return ts[:0]
	}
	n := 0
	for _, t := range ts {
		n += 2*len(t.Term) + 1
	}
	buf := make([]byte, 0, n)
	// In place: token i becomes the pair (i, i+1); token i+1 is still intact when it is read.
	out := ts[:0]
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
		if b.Position != a.Position+1 {
			continue
		}
		start := len(buf)
		buf = append(buf, a.Term...)
		buf = append(buf, '_')
		buf = append(buf, b.Term...)
		a.Term, a.End, a.Type = buf[start:len(buf):len(buf)], b.End, analysis.Shingle
		a.Position = len(out) + 1
		out = append(out, a)
	}
	return out
}
