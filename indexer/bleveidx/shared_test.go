package bleveidx

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"golang.org/x/text/unicode/norm"

	"ketnoi/indexer"
)

// The shared analysis must index exactly what the registered analyzers would: queries go through those.
func TestSharedAnalysisMatchesAnalyzers(t *testing.T) {
	prose := readProse(t)
	texts := []string{
		"", " ", "—", "Máy sấy cá cơm", "máy", "MÁY SẤY cá cơm, cá cơm; máy sấy!",
		norm.NFD.String("Hòa Bình, hoà bình: thủy sản, thuỷ sản, Đà Nẵng"),
		"a \u0301 b",                            // a stray combining mark: a token with an empty key
		"x " + strings.Repeat("ư", 70) + " y z", // a token over maxTokenBytes
		"2024 năm 2.000 tấn CO₂ 1,5 °C H2O", "IoT RFID GACP-WHO", "ﬁ ǅ Ⅻ 한국어 русский",
		// A spelling that is another's key, before and after it; keys that need more than lowercasing.
		"máy MÁY Máy máy HOÀ hòa Hoà hoà İ i\u0307 İ ǅ ǆ Ǆ ΣΑΣ σας Σ " + norm.NFD.String("Thuỷ thuỷ") + " thủy Thủy",
		prose, prose[:len(prose)/3],
	}
	for _, p := range strings.Split(prose, "\n\n") {
		texts = append(texts, p)
	}
	for _, vectors := range []bool{false, true} {
		for _, vs := range variantSets {
			for i, text := range texts {
				checkShared(t, fmt.Sprintf("text %d variants %v vectors %v", i, vs, vectors), text, vs, vectors)
			}
		}
	}
}

// variantSets are the sets of fields a property is tested with: which keys the analysis makes depends on them.
var variantSets = [][]variant{{vExact, vFolded, vExactBigram, vFoldedBigram}, {vExact, vFolded, vFoldedBigram},
	{vExact}, {vFolded}, {vExactBigram}, {vFoldedBigram}}

// FuzzSharedAnalysis checks the shared analysis against the analyzers on any text: it relies on properties of
// the keys (Key is idempotent, FoldKey(Key(t)) == FoldKey(t)) that must hold for every token.
func FuzzSharedAnalysis(f *testing.F) {
	for _, s := range []string{"máy MÁY Máy máy HOÀ hòa Hoà hoà", "İ i\u0307 İ ǅ ǆ Ǆ ΣΑΣ σας Σ", "a \u0301 b \u0301",
		norm.NFD.String("Thuỷ thuỷ thủy Thủy"), "Ð\u200bÔ\u0301 qúy thuý \x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, vs := range variantSets[:4] {
			checkShared(t, fmt.Sprintf("%q variants %v", s, vs), s, vs, true)
		}
	})
}

var analyzers = map[variant]analysis.Analyzer{vExact: exactAnalyzer, vFolded: foldedAnalyzer,
	vExactBigram: exactBigramAnalyzer, vFoldedBigram: foldedBigramAnalyzer}

// checkShared compares the fields the shared analysis makes of text, one per variant, with what bleve's
// text fields make of it with the registered analyzers.
func checkShared(t *testing.T, name, text string, variants []variant, vectors bool) {
	t.Helper()
	opts := index.IndexField
	if vectors {
		opts |= index.IncludeTermVectors
	}
	spec := &textSpecs{props: []string{"f"}, fields: [][]fieldSpec{nil}}
	for _, v := range variants {
		spec.fields[0] = append(spec.fields[0], fieldSpec{v, fmt.Sprintf("f%d", v), opts})
	}
	doc := document.NewDocument("d")
	addText(doc, spec, []string{text})
	if text == "" {
		if len(doc.Fields) != 0 {
			t.Errorf("%s: fields for no text: %d", name, len(doc.Fields))
		}
		return
	}
	for j, f := range doc.Fields {
		f.Analyze()
		v := variants[j]
		want := document.NewTextFieldCustom("x", nil, []byte(text), opts, analyzers[v])
		want.Analyze()
		if f.AnalyzedLength() != want.AnalyzedLength() {
			t.Errorf("%s variant %d: length %d, want %d", name, v, f.AnalyzedLength(), want.AnalyzedLength())
		}
		if got, exp := dumpFreqs(f.AnalyzedTokenFrequencies()), dumpFreqs(want.AnalyzedTokenFrequencies()); got != exp {
			t.Errorf("%s variant %d:\n got %.300s\nwant %.300s", name, v, got, exp)
		}
		if !bytes.Equal(f.Value(), []byte(text)) {
			t.Errorf("%s variant %d: value %q", name, v, f.Value())
		}
	}
}

// Whole documents built with the shared analysis index what the mapping builds from docData, in every
// layout: field by field after zap's merging of same-named fields, terms, frequencies, lengths and locations.
func TestSharedDocumentsMatchMapping(t *testing.T) {
	docs, _ := benchDocs(t, 40)
	docs = append(docs, indexer.Doc{ID: "kq-empty", Kind: indexer.KindResult, Title: "Chỉ có tên"},
		indexer.Doc{ID: "kq-pages", Kind: indexer.KindResult, Title: "Báo cáo", Pages: []string{"Trang một.", "Trang hai."}},
		// Spellings shared by several fields and keys shared by several spellings, tokens whose key is
		// empty or that are too long, a field without tokens.
		indexer.Doc{ID: "kq-odd", Kind: indexer.KindResult, Title: "Máy sấy MÁY SẤY máy sấy",
			Summary: "a \u0301 b máy sấy \u0301", Keywords: "—", Advantages: "\u0301",
			Applications: "x " + strings.Repeat("ư", 70) + " y máy sấy",
			Body:         norm.NFD.String("Hòa Bình, hoà bình: thủy sản, thuỷ sản, Đà Nẵng, máy sấy")})
	layouts := map[string]bigramLayout{
		"unigrams": {}, "per-field": {exact: true, folded: true}, "combined-folded": {folded: true, combined: true},
		"combined": {exact: true, folded: true, combined: true}, "per-field-folded": {folded: true},
	}
	for name, bl := range layouts {
		for _, vectors := range []bool{false, true} {
			if vectors && !bl.any() {
				continue
			}
			t.Run(fmt.Sprintf("%s/bigram-vectors=%v", name, vectors), func(t *testing.T) {
				im := newIndexMapping(bl)
				if vectors {
					// No mapping of ours asks for them, but a stored one could: locations of bigrams, with
					// array positions when combined.
					for _, dm := range im.DefaultMapping.Properties {
						for _, fm := range dm.Fields {
							if fm.Analyzer == AnalyzerExactBigram || fm.Analyzer == AnalyzerFoldedBigram {
								fm.IncludeTermVectors = true
							}
						}
					}
				}
				testSharedDocuments(t, im, bl, docs)
			})
		}
	}
}

// testSharedDocuments compares documents built with the shared analysis with what im maps.
func testSharedDocuments(t *testing.T, im *mapping.IndexMappingImpl, bl bigramLayout, docs []indexer.Doc) {
	t.Helper()
	var props []string
	for _, f := range textFields {
		props = append(props, f.name)
	}
	specs := readTextSpecs(im, props, fText)
	if specs == nil {
		t.Fatal("mapping not understood")
	}
	x := &Index{layout: bl, text: specs}
	for i := range docs {
		d := &docs[i]
		viaMapping := document.NewDocument(d.ID)
		data := docData(d, bl, true)
		if err := im.MapDocument(viaMapping, data); err != nil {
			t.Fatal(err)
		}
		shared, err := x.document(im, d)
		if err != nil {
			t.Fatal(err)
		}
		got, want := dumpDoc(shared), dumpDoc(viaMapping)
		for f := range want {
			if got[f] != want[f] {
				t.Errorf("%s field %s:\n got %.400s\nwant %.400s", d.ID, f, got[f], want[f])
			}
		}
		for f := range got {
			if _, ok := want[f]; !ok {
				t.Errorf("%s: extra field %s", d.ID, f)
			}
		}
	}
}

// dumpDoc analyses a document and describes each field as zap sees it: same-named fields merged.
func dumpDoc(doc *document.Document) map[string]string {
	lens := map[string]int{}
	freqs := map[string]index.TokenFrequencies{}
	values := map[string]string{}
	for _, f := range doc.Fields {
		f.Analyze()
		name := f.Name()
		lens[name] += f.AnalyzedLength()
		if f.Options().IsStored() {
			values[name] += string(f.Value()) + "|"
		}
		if freqs[name] == nil {
			freqs[name] = index.TokenFrequencies{}
		}
		freqs[name].MergeAll(name, f.AnalyzedTokenFrequencies())
	}
	out := map[string]string{}
	for name := range lens {
		out[name] = fmt.Sprintf("len %d stored %q\n%s", lens[name], values[name], dumpFreqs(freqs[name]))
	}
	return out
}

func dumpFreqs(tfs index.TokenFrequencies) string {
	var lines []string
	for k, tf := range tfs {
		if k != string(tf.Term) {
			lines = append(lines, "KEY MISMATCH "+k)
		}
		l := fmt.Sprintf("%s×%d", tf.Term, tf.Frequency())
		for _, loc := range tf.Locations {
			l += fmt.Sprintf(" %d-%d@%d%v", loc.Start, loc.End, loc.Position, loc.ArrayPositions)
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// BenchmarkSharedAnalysis compares the analysis of one text field into its four variants, shared and
// through bleve's fields and analyzers.
func BenchmarkSharedAnalysis(b *testing.B) {
	text := readProse(b)
	opts := [numVariants]index.FieldIndexingOptions{index.IndexField | index.IncludeTermVectors,
		index.IndexField | index.IncludeTermVectors, index.IndexField, index.IndexField}
	spec := &textSpecs{props: []string{"f"}, fields: [][]fieldSpec{nil}}
	for v := range numVariants {
		spec.fields[0] = append(spec.fields[0], fieldSpec{v, fmt.Sprintf("f%d", v), opts[v]})
	}
	// The default layout indexes three of them: no exact bigrams (see newLayout).
	three := &textSpecs{props: []string{"f"}, fields: [][]fieldSpec{{spec.fields[0][vExact], spec.fields[0][vFolded],
		spec.fields[0][vFoldedBigram]}}}
	for _, tc := range []struct {
		name string
		spec *textSpecs
	}{{"shared", spec}, {"shared-default-layout", three}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				doc := document.NewDocument("d")
				addText(doc, tc.spec, []string{text})
				for _, f := range doc.Fields {
					f.Analyze()
				}
			}
		})
	}
	b.Run("bleve", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		as := []analysis.Analyzer{exactAnalyzer, foldedAnalyzer, exactBigramAnalyzer, foldedBigramAnalyzer}
		for b.Loop() {
			for v, a := range as {
				f := document.NewTextFieldCustom("f", nil, []byte(text), opts[v], a)
				f.Analyze()
			}
		}
	})
}

// BenchmarkDocumentAnalysis measures what analysing one ~1 KB record costs and allocates: the allocations
// stay alive until bleve has built the segment of the batch.
func BenchmarkDocumentAnalysis(b *testing.B) {
	docs, _ := benchDocs(b, 200)
	bl := bigramLayout{folded: true, combined: true}
	im := newIndexMapping(bl)
	var props []string
	for _, f := range textFields {
		props = append(props, f.name)
	}
	x := &Index{layout: bl, text: readTextSpecs(im, props, fText)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		doc, err := x.document(im, &docs[i%len(docs)])
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range doc.Fields {
			f.Analyze()
		}
		i++
	}
}
