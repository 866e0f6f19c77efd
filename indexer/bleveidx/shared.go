package bleveidx

import (
	"reflect"
	"sync"

	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/size"
	index "github.com/blevesearch/bleve_index_api"
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
