package bleveidx

import (
	"reflect"
	"sync"
	"unsafe"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/size"
	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/corpus/vntext"
)

// Every text field is indexed as several variants of the same text (exact keys, folded keys, and bigrams,
// per field or combined over all the text fields of a document). Given to bleve as separate fields through
// the mapping, each variant was tokenized and keyed again and its term frequencies built token by token with
// an allocation per term, and the combined field was built from an array whose elements zap then merged
// term by term: together most of the analysis time and a third of all the memory allocated while indexing.
// Here a document's text is tokenized once, keyed and folded once, and every field's term frequencies are
// built from that in a few slabs. The result is what the mapping and the registered analyzers give (same
// terms, frequencies, offsets, positions and lengths; checked in shared_test.go), so queries, which go
// through those analyzers, find exactly what they did.

// variant is one way a text field is indexed.
type variant int

const (
	vExact variant = iota
	vFolded
	vExactBigram
	vFoldedBigram
	numVariants
)

// variantOf maps the analyzer of a text field mapping to its variant.
var variantOf = map[string]variant{
	AnalyzerExact: vExact, AnalyzerFolded: vFolded, AnalyzerExactBigram: vExactBigram,
	AnalyzerFoldedBigram: vFoldedBigram,
}

// fieldSpec is one field a text value is indexed as.
type fieldSpec struct {
	v    variant
	name string
	opts index.FieldIndexingOptions
}

// textSpecs is how the index mapping indexes the text properties of a document: each property's own
// fields, and the combined fields that take the text of all of them.
type textSpecs struct {
	props    []string
	fields   [][]fieldSpec // per property
	combined []fieldSpec
}

// readTextSpecs reads the fields the stored mapping indexes props (and the combined property) as. It
// returns nil when any field is one this code does not know how to build (another analyzer): documents then
// go through the mapping as before.
func readTextSpecs(m mapping.IndexMapping, props []string, combined string) *textSpecs {
	im, ok := m.(*mapping.IndexMappingImpl)
	if !ok || im.DefaultMapping == nil {
		return nil
	}
	fieldsOf := func(prop string) ([]fieldSpec, bool) {
		dm := im.DefaultMapping.Properties[prop]
		if dm == nil {
			return nil, true
		}
		if !dm.Enabled || len(dm.Properties) > 0 {
			return nil, false
		}
		var fs []fieldSpec
		for _, fm := range dm.Fields {
			v, known := variantOf[fm.Analyzer]
			if !known || fm.Type != "text" || fm.Name == "" {
				return nil, false
			}
			fs = append(fs, fieldSpec{v, fm.Name, fm.Options()})
		}
		return fs, true
	}
	ts := &textSpecs{props: props}
	for _, prop := range props {
		fs, ok := fieldsOf(prop)
		if !ok || len(fs) == 0 {
			return nil
		}
		ts.fields = append(ts.fields, fs)
	}
	if ts.combined, ok = fieldsOf(combined); !ok {
		return nil
	}
	for _, f := range ts.combined {
		if f.v != vExactBigram && f.v != vFoldedBigram {
			return nil // combined unigrams would need their own offsets per field: not built here
		}
	}
	return ts
}

// addText adds to doc the fields of its text properties; values are aligned with specs.props, "" for none.
func addText(doc *document.Document, specs *textSpecs, values []string) {
	dt := &docText{values: make([][]byte, len(values))}
	n := 0
	for i, v := range values {
		if v != "" {
			dt.values[i] = []byte(v)
			n += len(specs.fields[i])
		}
	}
	if n == 0 {
		return
	}
	n += len(specs.combined)
	dt.fields = make([]textField, 0, n)
	for i, v := range dt.values {
		if v == nil {
			continue
		}
		for j := range specs.fields[i] {
			dt.fields = append(dt.fields, textField{dt: dt, spec: &specs.fields[i][j], part: i})
		}
	}
	for j := range specs.combined {
		dt.fields = append(dt.fields, textField{dt: dt, spec: &specs.combined[j], part: -1})
	}
	for i := range dt.fields {
		doc.AddField(&dt.fields[i])
	}
}

// docText is the text of one document with every field it is indexed as. The first field bleve asks to
// analyse analyses them all: bleve analyses the fields of a document one after the other, on one goroutine.
type docText struct {
	values [][]byte // per property, nil for none
	fields []textField
	once   sync.Once
}

// textField is one field of a docText, as a bleve document field: a variant of one property, or (part -1)
// a combined field over all of them.
type textField struct {
	dt     *docText
	spec   *fieldSpec
	part   int
	length int
	freqs  index.TokenFrequencies
}

var _ document.Field = (*textField)(nil)

var reflectStaticSizeTextField = int(reflect.TypeOf(textField{}).Size())

func (f *textField) Name() string                        { return f.spec.name }
func (f *textField) ArrayPositions() []uint64            { return nil }
func (f *textField) Options() index.FieldIndexingOptions { return f.spec.opts }
func (f *textField) EncodedFieldType() byte              { return 't' }
func (f *textField) AnalyzedLength() int                 { return f.length }
func (f *textField) AnalyzedTokenFrequencies() index.TokenFrequencies {
	return f.freqs
}
func (f *textField) Analyze() { f.dt.once.Do(f.dt.analyze) }

// Value is the property's text; a combined field is never stored and has none of its own.
func (f *textField) Value() []byte {
	if f.part < 0 {
		return nil
	}
	return f.dt.values[f.part]
}

func (f *textField) NumPlainTextBytes() uint64 { return uint64(len(f.Value())) }

func (f *textField) Size() int {
	n := reflectStaticSizeTextField + size.SizeOfPtr + len(f.Value())
	if f.freqs != nil {
		n += f.freqs.Size()
	}
	return n
}

// scratch is per-analysis working memory that nothing keeps: pooled.
type scratch struct {
	spans  []tokenSpan
	ids    map[string]int32 // term → its index among the distinct terms
	owner  []int32          // per token: its term's index, -1 for none
	firsts []int32          // per distinct term: its first token
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// keyed is the tokens of a text turned into keys: key i is buf[off[i]:off[i+1]], empty when the filter
// would drop the token.
type keyed struct {
	buf []byte
	off []int32
}

func (k *keyed) key(i int) []byte { return k.buf[k.off[i]:k.off[i+1]:k.off[i+1]] }

func makeKeys(value []byte, spans []tokenSpan, f appendFunc) keyed {
	k := keyed{buf: make([]byte, 0, len(value)+len(value)/8+8), off: make([]int32, 1, len(spans)+1)}
	for _, sp := range spans {
		k.buf = f(k.buf, value[sp.start:sp.end])
		k.off = append(k.off, int32(len(k.buf)))
	}
	return k
}

// part is one property's text, tokenized and keyed.
type part struct {
	spans         []tokenSpan
	exact, folded keyed
	elem          int // its index among the document's non-empty properties
}

func (dt *docText) analyze() {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	var want [numVariants]bool
	for _, f := range dt.fields {
		if f.part < 0 {
			want[f.spec.v] = true
		}
	}
	parts := make([]part, len(dt.values))
	spans := sc.spans[:0]
	elem := 0
	for i, v := range dt.values {
		if v == nil {
			continue
		}
		from := len(spans)
		spans = appendSpans(spans, v)
		parts[i] = part{spans: spans[from:len(spans):len(spans)], elem: elem}
		elem++
	}
	sc.spans = spans
	for i, v := range dt.values {
		if v == nil {
			continue
		}
		p := &parts[i]
		w := want
		vectors := false // do the unigram fields need locations
		for _, f := range dt.fields {
			if f.part == i {
				w[f.spec.v] = true
				vectors = vectors || (f.spec.v == vExact || f.spec.v == vFolded) && f.spec.opts.IncludeTermVectors()
			}
		}
		if w[vExact] || w[vExactBigram] {
			p.exact = makeKeys(v, p.spans, vntext.AppendKey)
		}
		if w[vFolded] || w[vFoldedBigram] {
			p.folded = makeKeys(v, p.spans, vntext.AppendFoldKey)
		}
		// The unigram fields share their locations: a token's exact and folded keys have its offsets and
		// position.
		var locs []index.TokenLocation
		if vectors {
			locs = make([]index.TokenLocation, len(p.spans))
			for i, sp := range p.spans {
				locs[i] = index.TokenLocation{Start: sp.start, End: sp.end, Position: i + 1}
			}
		}
		// Each field gets maps of its own even when two have the same variant: zap merges the frequencies
		// of fields of the same name within a document into the first one's map.
		for j := range dt.fields {
			f := &dt.fields[j]
			if f.part != i {
				continue
			}
			switch f.spec.v {
			case vExact:
				f.freqs, f.length = unigramFreqs(sc, &p.exact, locs, f.spec.opts)
			case vFolded:
				f.freqs, f.length = unigramFreqs(sc, &p.folded, locs, f.spec.opts)
			case vExactBigram, vFoldedBigram:
				f.freqs, f.length = bigramFreqs(sc, parts[i:i+1], f.spec.v, f.spec.opts, false)
			}
		}
	}
	for j := range dt.fields {
		if f := &dt.fields[j]; f.part < 0 { // combined: bigrams only (readTextSpecs)
			f.freqs, f.length = bigramFreqs(sc, parts, f.spec.v, f.spec.opts, true)
		}
	}
}

// unigramFreqs builds the term frequencies of the keyed tokens, what analysis.TokenFrequency builds from
// the analyzer's stream. The distinct terms are counted first, on a reused map, so that the map and the
// TokenFreqs handed to bleve are allocated once at their size: they live until the batch's segment is built,
// and sized by the token count they took half the memory of indexing. Map keys and terms share the keys'
// buffer; location pointers come from one slab.
func unigramFreqs(sc *scratch, k *keyed, locs []index.TokenLocation, opts index.FieldIndexingOptions) (index.TokenFrequencies, int) {
	n := len(k.off) - 1
	all := bytesString(k.buf)
	if sc.ids == nil {
		sc.ids = make(map[string]int32)
	}
	owner, firsts := sc.owner[:0], sc.firsts[:0]
	kept := 0
	for i := 0; i < n; i++ {
		a, b := k.off[i], k.off[i+1]
		if a == b {
			owner = append(owner, -1)
			continue
		}
		kept++
		id, ok := sc.ids[all[a:b]]
		if !ok {
			id = int32(len(firsts))
			sc.ids[all[a:b]] = id
			firsts = append(firsts, int32(i))
		}
		owner = append(owner, id)
	}
	clear(sc.ids)
	sc.owner, sc.firsts = owner, firsts
	m, tfs := newFreqs(k.buf, all, firsts, func(i int32) (int32, int32) { return k.off[i], k.off[i+1] })
	if !opts.SkipFreqNorm() {
		for _, id := range owner {
			if id >= 0 {
				tfs[id].SetFrequency(tfs[id].Frequency() + 1)
			}
		}
	}
	if opts.IncludeTermVectors() && locs != nil {
		if !opts.SkipFreqNorm() {
			// Each term's pointers are a run of one slab, sized by its frequency.
			ptrs := make([]*index.TokenLocation, kept)
			at := 0
			for i := range tfs {
				c := tfs[i].Frequency()
				tfs[i].Locations = ptrs[at : at : at+c]
				at += c
			}
		}
		for i, id := range owner {
			if id >= 0 {
				tfs[id].Locations = append(tfs[id].Locations, &locs[i])
			}
		}
	}
	return m, kept
}

// newFreqs makes the map and the TokenFreqs of the distinct terms; term j is buf[span(firsts[j])], all is
// buf as a string.
func newFreqs(buf []byte, all string, firsts []int32, span func(int32) (int32, int32)) (index.TokenFrequencies, []index.TokenFreq) {
	m := make(index.TokenFrequencies, len(firsts))
	tfs := make([]index.TokenFreq, len(firsts))
	for j, first := range firsts {
		a, b := span(first)
		tfs[j].Term = buf[a:b:b]
		m[all[a:b]] = &tfs[j]
	}
	return m, tfs
}

// bytesString views b as a string without copying. Only for buffers that are complete and never written
// again: the keys' buffers, once every key is appended.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bigramFreqs builds the term frequencies of the pairs of adjacent keyed tokens, "w1_w2", of every part, as
// vi_bigram does on each part's text: no pair spans two parts, and a token whose key is empty pairs with
// neither neighbour. Combined, locations say which part they are in, as bleve's do for the elements of an
// array.
func bigramFreqs(sc *scratch, parts []part, v variant, opts index.FieldIndexingOptions, combined bool) (index.TokenFrequencies, int) {
	n, size := 0, 0
	for i := range parts {
		k := parts[i].keys(v)
		n += len(k.off)
		size += 2*len(k.buf) + len(k.off)
	}
	buf := make([]byte, 0, size)
	type pair struct {
		part  int32
		first int32 // the first token's index in its part
	}
	pairs := make([]pair, 0, n)
	off := make([]int32, 1, n+1) // pair j is buf[off[j]:off[j+1]]
	for pi := range parts {
		k := parts[pi].keys(v)
		for i := 1; i < len(k.off)-1; i++ {
			a, b := k.key(i-1), k.key(i)
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			buf = append(buf, a...)
			buf = append(buf, '_')
			buf = append(buf, b...)
			off = append(off, int32(len(buf)))
			pairs = append(pairs, pair{int32(pi), int32(i - 1)})
		}
	}
	all := bytesString(buf)
	if sc.ids == nil {
		sc.ids = make(map[string]int32)
	}
	owner, firsts := sc.owner[:0], sc.firsts[:0]
	for j := range pairs {
		key := all[off[j]:off[j+1]]
		id, ok := sc.ids[key]
		if !ok {
			id = int32(len(firsts))
			sc.ids[key] = id
			firsts = append(firsts, int32(j))
		}
		owner = append(owner, id)
	}
	clear(sc.ids)
	sc.owner, sc.firsts = owner, firsts
	m, tfs := newFreqs(buf, all, firsts, func(j int32) (int32, int32) { return off[j], off[j+1] })
	vectors := opts.IncludeTermVectors()
	var locs []index.TokenLocation
	if vectors {
		locs = make([]index.TokenLocation, len(pairs))
	}
	pos, last := 0, int32(-1)
	for j, pr := range pairs {
		tf := &tfs[owner[j]]
		if !opts.SkipFreqNorm() {
			tf.SetFrequency(tf.Frequency() + 1)
		}
		if vectors {
			if pr.part != last {
				pos, last = 0, pr.part
			}
			pos++
			p := &parts[pr.part]
			locs[j] = index.TokenLocation{Start: p.spans[pr.first].start, End: p.spans[pr.first+1].end, Position: pos}
			if combined {
				locs[j].ArrayPositions = []uint64{uint64(p.elem)}
			}
			tf.Locations = append(tf.Locations, &locs[j])
		}
	}
	return m, len(pairs)
}

func (p *part) keys(v variant) *keyed {
	if v == vExact || v == vExactBigram {
		return &p.exact
	}
	return &p.folded
}
