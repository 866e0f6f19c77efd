package bleveidx

import (
	"math/bits"
	"sync"
	"unsafe"

	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/corpus/vntext"
)

// The analysis of a docText (shared.go). A document's text repeats itself: the 22 KB of prose in testdata
// has 3,654 tokens but 1,101 distinct spellings. So each distinct spelling is keyed once, its exact and
// folded keys are numbered once per document, and the fields are built from those numbers: a unigram field
// counts numbers, a bigram field numbers pairs of numbers and writes the text of a pair only once. Keying
// every token and looking its key up as a string, per field, was most of the analysis time.

// kind is the key a variant is made of.
type kind int

const (
	kExact  kind = iota // vntext.AppendKey, vi_key
	kFolded             // vntext.AppendFoldKey, vi_fold
	numKinds
)

func (v variant) kind() kind {
	if v == vExact || v == vExactBigram {
		return kExact
	}
	return kFolded
}

// scratch is per-analysis working memory that nothing keeps: pooled.
type scratch struct {
	spans     []tokenSpan
	surfaces  map[string]int32 // a token's text → its index among the document's distinct texts
	dicts     [numKinds]dict
	pairTable []pairSlot // see pairSlots
	pairKeys  []uint64   // per distinct pair: its two key numbers
	local     []int32    // key number → 1 + its index among the field's distinct terms, 0 for none
	owner     []int32    // per token (or pair) of a field: its term's index, -1 for none
	firsts    []int32    // per distinct term of a field: its key number (pair index for bigrams)
	at        []int32    // per pair of a field: its first token's index in the document
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledMap bounds the maps kept in the pool: clearing a map costs its capacity, which one huge document
// would otherwise impose on every small one after it.
const maxPooledMap = 1 << 13

func (sc *scratch) release() {
	sc.surfaces = clearOrDrop(sc.surfaces)
	if len(sc.pairTable) > maxPooledMap*8 {
		sc.pairTable = nil
	}
	for k := range sc.dicts {
		d := &sc.dicts[k]
		d.ids = clearOrDrop(d.ids)
		d.buf, d.off, d.ofText, d.tok, d.terms = d.buf[:0], d.off[:0], d.ofText[:0], d.tok[:0], nil
	}
	scratchPool.Put(sc)
}

func clearOrDrop[K comparable](m map[K]int32) map[K]int32 {
	if len(m) > maxPooledMap {
		return nil
	}
	clear(m)
	return m
}

// dict numbers the distinct keys of one kind in a document.
type dict struct {
	ids    map[string]int32 // folded key → its number; the strings view buf (exact keys: see newText)
	buf    []byte           // the keys, key j is buf[off[j]:off[j+1]]
	off    []int32
	ofText []int32 // per distinct token text: its key's number, -1 when the key is empty
	tok    []int32 // per token of the document: its key's number, -1 when the key is empty
	terms  []byte  // buf copied for the index to keep (buf is pooled)
}

// add keys one distinct token text and returns its key's number. A key already seen is taken back out of
// buf; one added is a map key viewing buf, whose bytes are never written again in this document (appends
// only go past them, and a grown buf leaves them in the old array).
func (d *dict) add(f appendFunc, text []byte) int32 {
	if d.ids == nil {
		d.ids = make(map[string]int32)
	}
	if len(d.off) == 0 {
		d.off = append(d.off, 0)
	}
	a := len(d.buf)
	d.buf = f(d.buf, text)
	if len(d.buf) == a {
		return -1
	}
	if id, ok := d.ids[string(d.buf[a:])]; ok {
		d.buf = d.buf[:a]
		return id
	}
	id := int32(len(d.off) - 1)
	d.ids[bytesString(d.buf[a:])] = id
	d.off = append(d.off, int32(len(d.buf)))
	return id
}

// term returns key j from terms, clipped so that nothing can append over its neighbour, and as a string.
func (d *dict) term(j int32) ([]byte, string) {
	a, b := d.off[j], d.off[j+1]
	return d.terms[a:b:b], bytesString(d.terms[a:b])
}

// part is one property's text: its tokens are spans[from:to] of the document's.
type part struct {
	value    []byte
	from, to int
	elem     int // its index among the document's non-empty properties
}

func (dt *docText) analyze() {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	var want [numKinds]bool
	for _, f := range dt.fields {
		want[f.spec.v.kind()] = true
	}
	parts := make([]part, 0, len(dt.values))
	partOf := make([]int, len(dt.values)) // property → its index in parts
	spans := sc.spans[:0]
	for i, v := range dt.values {
		if v == nil {
			continue
		}
		from := len(spans)
		spans = appendSpans(spans, v)
		partOf[i] = len(parts)
		parts = append(parts, part{value: v, from: from, to: len(spans), elem: len(parts)})
	}
	sc.spans = spans
	sc.number(parts, want)
	for pi := range parts {
		p := &parts[pi]
		// The unigram fields share their locations: a token's exact and folded keys have its offsets and
		// position.
		var locs []index.TokenLocation
		for _, f := range dt.fields {
			if f.part >= 0 && partOf[f.part] == pi && !isBigram(f.spec.v) && f.spec.opts.IncludeTermVectors() {
				locs = make([]index.TokenLocation, p.to-p.from)
				for i, sp := range spans[p.from:p.to] {
					locs[i] = index.TokenLocation{Start: sp.start, End: sp.end, Position: i + 1}
				}
				break
			}
		}
		// Each field gets maps of its own even when two have the same variant: zap merges the frequencies
		// of fields of the same name within a document into the first one's map.
		for j := range dt.fields {
			f := &dt.fields[j]
			if f.part < 0 || partOf[f.part] != pi {
				continue
			}
			d := &sc.dicts[f.spec.v.kind()]
			if isBigram(f.spec.v) {
				f.freqs, f.length = sc.bigramFreqs(d, parts[pi:pi+1], f.spec.opts, false)
			} else {
				f.freqs, f.length = sc.unigramFreqs(d, p, locs, f.spec.opts)
			}
		}
	}
	for j := range dt.fields {
		if f := &dt.fields[j]; f.part < 0 { // combined: bigrams only (readTextSpecs)
			f.freqs, f.length = sc.bigramFreqs(&sc.dicts[f.spec.v.kind()], parts, f.spec.opts, true)
		}
	}
}

func isBigram(v variant) bool { return v == vExactBigram || v == vFoldedBigram }

// number gives every token of the document its key numbers, keying each distinct token text once.
func (sc *scratch) number(parts []part, want [numKinds]bool) {
	if sc.surfaces == nil {
		sc.surfaces = make(map[string]int32)
	}
	for _, p := range parts {
		text := bytesString(p.value) // the document's copy: never written
		for _, sp := range sc.spans[p.from:p.to] {
			s := text[sp.start:sp.end]
			id, ok := sc.surfaces[s]
			if !ok {
				id = sc.newText(s, p.value[sp.start:sp.end], want)
			}
			for k := range numKinds {
				if want[k] {
					d := &sc.dicts[k]
					d.tok = append(d.tok, d.ofText[id])
				}
			}
		}
	}
	n := 0
	for k := range numKinds {
		if d := &sc.dicts[k]; want[k] {
			d.terms = append([]byte(nil), d.buf...)
			n = max(n, len(d.off))
		}
	}
	if cap(sc.local) < n {
		sc.local = make([]int32, n)
	}
	sc.local = sc.local[:n]
}

// newText numbers a token text not seen before in the document. Its exact key is a text too: Key is
// idempotent, and FoldKey(Key(t)) == FoldKey(t). So every exact key goes into surfaces as well, and a text
// that is its own key (most are) is a new key without a lookup, while one that is not finds its key's
// numbers there.
func (sc *scratch) newText(s string, text []byte, want [numKinds]bool) int32 {
	ex, fo := &sc.dicts[kExact], &sc.dicts[kFolded]
	add := func(s string, e, f int32) int32 {
		id := int32(len(sc.surfaces))
		sc.surfaces[s] = id
		if want[kExact] {
			ex.ofText = append(ex.ofText, e)
		}
		if want[kFolded] {
			fo.ofText = append(fo.ofText, f)
		}
		return id
	}
	if !want[kExact] {
		return add(s, -1, fo.add(vntext.AppendFoldKey, text))
	}
	if len(ex.off) == 0 {
		ex.off = append(ex.off, 0)
	}
	a := len(ex.buf)
	ex.buf = vntext.AppendKey(ex.buf, text)
	key := bytesString(ex.buf[a:]) // never written again when kept, see dict.add
	f := int32(-1)
	switch {
	case key == "":
		if want[kFolded] {
			f = fo.add(vntext.AppendFoldKey, text)
		}
		return add(s, -1, f)
	case key != s:
		if kid, ok := sc.surfaces[key]; ok {
			ex.buf = ex.buf[:a]
			e := ex.ofText[kid]
			if want[kFolded] {
				f = fo.ofText[kid]
			}
			return add(s, e, f)
		}
	}
	e := int32(len(ex.off) - 1)
	ex.off = append(ex.off, int32(len(ex.buf)))
	if want[kFolded] {
		f = fo.add(vntext.AppendFoldKey, text)
	}
	if key != s {
		add(key, e, f)
	}
	return add(s, e, f)
}

// unigramFreqs builds the term frequencies of one part's keys, what analysis.TokenFrequency builds from the
// analyzer's stream. The distinct terms are counted first so that the map and the TokenFreqs handed to
// bleve are allocated once at their size: they live until the batch's segment is built, and sized by the
// token count they took half the memory of indexing. Terms share the dict's kept buffer; location pointers
// come from one slab.
func (sc *scratch) unigramFreqs(d *dict, p *part, locs []index.TokenLocation, opts index.FieldIndexingOptions) (index.TokenFrequencies, int) {
	owner, firsts := sc.owner[:0], sc.firsts[:0]
	kept := 0
	for _, id := range d.tok[p.from:p.to] {
		if id < 0 {
			owner = append(owner, -1)
			continue
		}
		kept++
		l := sc.local[id]
		if l == 0 {
			firsts = append(firsts, id)
			l = int32(len(firsts))
			sc.local[id] = l
		}
		owner = append(owner, l-1)
	}
	for _, id := range firsts {
		sc.local[id] = 0
	}
	sc.owner, sc.firsts = owner, firsts
	m := make(index.TokenFrequencies, len(firsts))
	tfs := make([]index.TokenFreq, len(firsts))
	for j, id := range firsts {
		term, s := d.term(id)
		tfs[j].Term = term
		m[s] = &tfs[j]
	}
	if !opts.SkipFreqNorm() {
		for _, l := range owner {
			if l >= 0 {
				tfs[l].SetFrequency(tfs[l].Frequency() + 1)
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
		for i, l := range owner {
			if l >= 0 {
				tfs[l].Locations = append(tfs[l].Locations, &locs[i])
			}
		}
	}
	return m, kept
}

// bigramFreqs builds the term frequencies of the pairs of adjacent keys, "w1_w2", of every part, as
// vi_bigram does on each part's text: no pair spans two parts, and a token whose key is empty pairs with
// neither neighbour. Pairs are numbered by their two key numbers; the text of each distinct pair is written
// once. Combined, locations say which part they are in, as bleve's do for the elements of an array.
func (sc *scratch) bigramFreqs(d *dict, parts []part, opts index.FieldIndexingOptions, combined bool) (index.TokenFrequencies, int) {
	n := 0
	for _, p := range parts {
		n += p.to - p.from
	}
	slots, shift := sc.pairSlots(n)
	mask := uint64(len(slots) - 1)
	vectors := opts.IncludeTermVectors()
	owner, at, keys := sc.owner[:0], sc.at[:0], sc.pairKeys[:0]
	size := 0
	for _, p := range parts {
		toks := d.tok[p.from:p.to]
		for i := 1; i < len(toks); i++ {
			a, b := toks[i-1], toks[i]
			if a < 0 || b < 0 {
				continue
			}
			key := uint64(a)<<32 | uint64(b)
			h := key * 0x9E3779B97F4A7C15 >> shift
			for slots[h].id != 0 && slots[h].key != key {
				h = (h + 1) & mask
			}
			id := slots[h].id - 1
			if id < 0 {
				id = int32(len(keys))
				slots[h] = pairSlot{key, id + 1}
				keys = append(keys, key)
				size += int(d.off[a+1]-d.off[a]) + 1 + int(d.off[b+1]-d.off[b])
			}
			owner = append(owner, id)
			if vectors {
				at = append(at, int32(p.from+i-1))
			}
		}
	}
	clear(slots)
	sc.owner, sc.at, sc.pairKeys = owner, at, keys
	buf := make([]byte, 0, size)
	m := make(index.TokenFrequencies, len(keys))
	tfs := make([]index.TokenFreq, len(keys))
	for j, key := range keys {
		a, b := int32(key>>32), int32(uint32(key))
		start := len(buf)
		buf = append(buf, d.terms[d.off[a]:d.off[a+1]]...)
		buf = append(buf, '_')
		buf = append(buf, d.terms[d.off[b]:d.off[b+1]]...)
		tfs[j].Term = buf[start:len(buf):len(buf)]
		m[bytesString(tfs[j].Term)] = &tfs[j]
	}
	if !opts.SkipFreqNorm() {
		for _, id := range owner {
			tfs[id].SetFrequency(tfs[id].Frequency() + 1)
		}
	}
	if vectors {
		locs := make([]index.TokenLocation, len(owner))
		pi, pos := 0, 0
		var arrayPos []uint64
		for j, id := range owner {
			first := int(at[j])
			if pos == 0 || first >= parts[pi].to {
				for first >= parts[pi].to {
					pi++
				}
				pos = 0
				if combined {
					arrayPos = []uint64{uint64(parts[pi].elem)} // shared by the part's pairs, as bleve does
				}
			}
			pos++
			locs[j] = index.TokenLocation{Start: sc.spans[first].start, End: sc.spans[first+1].end, Position: pos,
				ArrayPositions: arrayPos}
			tfs[id].Locations = append(tfs[id].Locations, &locs[j])
		}
	}
	return m, len(owner)
}

// pairSlot is a slot of the table that numbers the pairs of a bigram field: open addressing with linear
// probing on the two key numbers, which hashes and compares faster than a Go map.
type pairSlot struct {
	key uint64 // the first key number << 32 | the second
	id  int32  // 1 + the pair's index among the field's distinct pairs, 0 for an empty slot
}

// pairSlots returns an empty table for the pairs of n tokens, at most half full, and the shift that takes a
// hash to a slot.
func (sc *scratch) pairSlots(n int) ([]pairSlot, uint) {
	b := bits.Len(uint(2 * n))
	if len(sc.pairTable) < 1<<b {
		sc.pairTable = make([]pairSlot, 1<<b)
	}
	return sc.pairTable[:1<<b], uint(64 - b)
}

// bytesString views b as a string without copying. Only for bytes that are never written again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
