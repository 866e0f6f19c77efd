package bleveidx

import (
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

// Field names. Every text field F is indexed as F (exact keys, stored: highlights are cut from it) and F_f
// (folded keys), which share F's byte offsets, so either variant's term locations index F's stored text.
// With bigrams, the folded syllable bigrams of all text fields together are indexed as text_fb; indexes
// built before that have per-field bigram variants F_b (exact) and F_fb (folded) instead, and are still
// read and searched as they are (see bigramLayout).
const (
	fTitle        = "title"
	fSummary      = "summary"
	fKeywords     = "keywords"
	fApplications = "applications"
	fAdvantages   = "advantages"
	fBody         = "body"

	fKind            = "kind"
	fFieldCodes      = "field_codes"
	fSectors         = "sectors"
	fIPStatus        = "ip_status"
	fTransferForms   = "transfer_forms"
	fOrganization    = "organization"
	fOrganizationF   = "organization_f"
	fAuthors         = "authors"
	fAuthorsF        = "authors_f"
	fProvince        = "province"
	fLegacyProvince  = "legacy_province"
	fLocality        = "locality"
	fLanguage        = "language"
	fConfidentiality = "confidentiality"
	fYear            = "year"
	fYearKey         = "year_k" // the year as a keyword, for a terms facet (numeric terms are prefix-coded)
	fTRL             = "trl"
	fTRLKey          = "trl_k"
	fPriceMin        = "price_min"
	fPriceMax        = "price_max"
	fPageStarts      = "page_starts" // stored only: byte offsets in body where each page starts
	fTokens          = "ntok"        // syllables in all the text fields together, for the second-stage ranking

	sufFolded       = "_f"
	sufBigram       = "_b"
	sufFoldedBigram = "_fb"

	fText = "text" // every text field together: the combined bigram fields hang here (never stored)
)

// bigramLayout says which bigram fields an index has: what its stored mapping says (layoutOf), whatever
// this version would create.
type bigramLayout struct {
	exact, folded bool // which variants
	combined      bool // one text_b/text_fb over all text fields rather than F_b/F_fb per field
}

// newLayout is the layout new indexes get: with bigrams, folded bigrams of all the text in one field.
//
// One combined field rather than per-field variants, because a bigram's evidence was split over six fields
// and each field disjunction scales its score by the share of fields that matched (coordination), so a bigram
// found in the body alone counted a sixth. On the eval sets (eval search, UNC 1,312 and ViCoV19QA 1,000
// queries) nDCG@10 went from 0.630 to 0.695 and from 0.312 to 0.403; per-field folded bigrams alone gave
// 0.624 and 0.303, and adding combined exact bigrams (text_b) changed nothing (0.693, 0.404) for a third
// more indexing time. Folded only, because folded bigrams serve accented queries as well (the unigram
// fields still tell "mây" from "máy") and halve the bigram cost: with every variant of every field, bigrams
// took 40% of indexing.
func newLayout(opts Options) bigramLayout {
	if !opts.Bigrams {
		return bigramLayout{}
	}
	return bigramLayout{folded: true, combined: true}
}

func (l bigramLayout) any() bool { return l.exact || l.folded }

// fields returns the fields a bigram term is searched in, without the variant suffix.
func (l bigramLayout) fields() []string {
	if l.combined {
		return []string{fText}
	}
	names := make([]string, len(textFields))
	for i, f := range textFields {
		names[i] = f.name
	}
	return names
}

// textFields are the full-text fields with their ranking weight.
var textFields = []struct {
	name  string
	boost float64
}{
	{fTitle, 3}, {fKeywords, 2}, {fSummary, 1.5}, {fApplications, 1.5}, {fAdvantages, 1}, {fBody, 1},
}

// listFields are the stored fields a hit list shows.
var listFields = []string{fTitle, fOrganization, fYear, fTRL, fKind}

func newIndexMapping(bl bigramLayout) *mapping.IndexMappingImpl {
	im := mapping.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = AnalyzerExact
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false

	dm := mapping.NewDocumentStaticMapping()
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())

	text := func(name, analyzer string, store, vectors bool) *mapping.FieldMapping {
		return &mapping.FieldMapping{Name: name, Type: "text", Analyzer: analyzer, Index: true, Store: store,
			IncludeTermVectors: vectors}
	}
	for _, f := range textFields {
		// Term vectors on the unigram variants: phrase queries and highlights need positions and offsets.
		fms := []*mapping.FieldMapping{
			text(f.name, AnalyzerExact, true, true),
			text(f.name+sufFolded, AnalyzerFolded, false, true),
		}
		if !bl.combined {
			// Bigrams only rank: no phrases, highlights come from the unigram variants.
			if bl.exact {
				fms = append(fms, text(f.name+sufBigram, AnalyzerExactBigram, false, false))
			}
			if bl.folded {
				fms = append(fms, text(f.name+sufFoldedBigram, AnalyzerFoldedBigram, false, false))
			}
		}
		dm.AddFieldMappingsAt(f.name, fms...)
	}
	if bl.combined && bl.any() {
		var fms []*mapping.FieldMapping
		if bl.exact {
			fms = append(fms, text(fText+sufBigram, AnalyzerExactBigram, false, false))
		}
		if bl.folded {
			fms = append(fms, text(fText+sufFoldedBigram, AnalyzerFoldedBigram, false, false))
		}
		dm.AddFieldMappingsAt(fText, fms...)
	}

	kw := func(name string, store bool) *mapping.FieldMapping {
		return &mapping.FieldMapping{Name: name, Type: "text", Analyzer: keyword.Name, Index: true, Store: store,
			DocValues: true}
	}
	for _, name := range []string{fKind} {
		dm.AddFieldMappingsAt(name, kw(name, true))
	}
	// fTokens is a keyword, not a number: one term a document, where bleve indexes a number at 16 precisions.
	for _, name := range []string{fFieldCodes, fSectors, fIPStatus, fTransferForms, fProvince, fLegacyProvince,
		fLocality, fLanguage, fConfidentiality, fYearKey, fTRLKey, fTokens} {
		dm.AddFieldMappingsAt(name, kw(name, false))
	}
	dm.AddFieldMappingsAt(fOrganization, kw(fOrganization, true), text(fOrganizationF, AnalyzerFolded, false, true))
	dm.AddFieldMappingsAt(fAuthors, text(fAuthorsF, AnalyzerFolded, false, true))

	num := func(name string, store bool) *mapping.FieldMapping {
		return &mapping.FieldMapping{Name: name, Type: "number", Index: true, Store: store, DocValues: true}
	}
	dm.AddFieldMappingsAt(fYear, num(fYear, true))
	dm.AddFieldMappingsAt(fTRL, num(fTRL, true))
	dm.AddFieldMappingsAt(fPriceMin, num(fPriceMin, false))
	dm.AddFieldMappingsAt(fPriceMax, num(fPriceMax, false))
	dm.AddFieldMappingsAt(fPageStarts, &mapping.FieldMapping{Name: fPageStarts, Type: "text",
		Analyzer: keyword.Name, Store: true})

	im.DefaultMapping = dm
	return im
}

// layoutOf reads the bigram layout of an index mapping, and whether the mapping is ours at all.
func layoutOf(m mapping.IndexMapping) (bl bigramLayout, ours bool) {
	im, ok := m.(*mapping.IndexMappingImpl)
	if !ok || im.DefaultMapping == nil {
		return bl, false
	}
	title := im.DefaultMapping.Properties[fTitle]
	if title == nil {
		return bl, false
	}
	fields := title.Fields
	if all := im.DefaultMapping.Properties[fText]; all != nil {
		bl.combined = true
		fields = all.Fields
	}
	for _, fm := range fields {
		switch {
		case strings.HasSuffix(fm.Name, sufFoldedBigram):
			bl.folded = true
		case strings.HasSuffix(fm.Name, sufBigram):
			bl.exact = true
		}
	}
	return bl, true
}

// docSize is about how many bytes of values d has: what Apply bounds pieces by.
func docSize(d *indexer.Doc) int {
	size := len(d.ID) + len(d.Kind) + len(d.Title) + len(d.Summary) + len(d.Keywords) + len(d.Applications) +
		len(d.Advantages) + len(d.IPStatus) + len(d.Organization) + len(d.Province) + len(d.LegacyProvince) +
		len(d.Locality) + len(d.Language) + len(d.Confidentiality)
	if d.Body != "" {
		size += len(d.Body)
	} else {
		for _, p := range d.Pages {
			size += len(p) + 2
		}
	}
	for _, l := range [][]string{d.FieldCodes, d.Sectors, d.TransferForms, d.Authors} {
		for _, s := range l {
			size += len(s)
		}
	}
	return size
}

// docData flattens a Doc into what the mapping walks. Empty values are left out, so that "not stated" is
// missing (sorted last, not counted in facets, outside every range filter) rather than "" or 0. combined
// adds the text for the combined bigram fields of layout bl.
func docData(d *indexer.Doc, bl bigramLayout, combined bool) map[string]interface{} {
	m := make(map[string]interface{}, 24)
	str := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	list := func(k string, v []string) {
		var keep []string
		for _, s := range v {
			if s != "" {
				keep = append(keep, s)
			}
		}
		if len(keep) > 0 {
			m[k] = keep
		}
	}
	num := func(k string, v int64) {
		if v != 0 {
			m[k] = float64(v)
		}
	}
	body := d.Body
	if body == "" && len(d.Pages) > 0 {
		body = strings.Join(d.Pages, "\n\n")
	}
	str(fKind, d.Kind)
	str(fTitle, d.Title)
	str(fSummary, d.Summary)
	str(fKeywords, d.Keywords)
	str(fApplications, d.Applications)
	str(fAdvantages, d.Advantages)
	str(fBody, body)
	str(fPageStarts, pageStarts(body, d.Pages))
	list(fFieldCodes, d.FieldCodes)
	list(fSectors, d.Sectors)
	str(fIPStatus, d.IPStatus)
	list(fTransferForms, d.TransferForms)
	str(fOrganization, d.Organization)
	list(fAuthors, d.Authors)
	str(fProvince, d.Province)
	str(fLegacyProvince, d.LegacyProvince)
	str(fLocality, d.Locality)
	str(fLanguage, d.Language)
	if d.Kind == indexer.KindNeed {
		str(fConfidentiality, needConfidentiality(d.Confidentiality))
	}
	num(fYear, int64(d.Year))
	num(fTRL, int64(d.TRL))
	num(fPriceMin, d.PriceMin)
	num(fPriceMax, d.PriceMax)
	if n := countTokens(d.Title, d.Keywords, d.Summary, d.Applications, d.Advantages, body); n > 0 {
		str(fTokens, strconv.Itoa(n))
	}
	if d.Year != 0 {
		str(fYearKey, strconv.Itoa(d.Year))
	}
	if d.TRL != 0 {
		str(fTRLKey, strconv.Itoa(d.TRL))
	}
	if combined && bl.combined && bl.any() {
		// For the mapping to build the combined fields (shared.go builds them itself): one array element
		// per field, which bleve analyses on its own, so that no bigram spans two fields.
		var all []string
		for _, v := range []string{d.Title, d.Keywords, d.Summary, d.Applications, d.Advantages, body} {
			if v != "" {
				all = append(all, v)
			}
		}
		if len(all) > 0 {
			m[fText] = all
		}
	}
	return m
}

// needConfidentiality follows corpus.Need.EffectiveConfidentiality: unstated is public, anything unknown is
// the most restrictive level, so a malformed value can never widen who sees a need.
func needConfidentiality(c string) string {
	switch c {
	case "":
		return corpus.ConfPublic
	case corpus.ConfPublic, corpus.ConfAnonymised, corpus.ConfBrokerOnly:
		return c
	}
	return corpus.ConfBrokerOnly
}

// pageStarts returns the byte offsets in body where each page begins, space-separated; pages not found in
// body (a body that is not their join) are skipped.
func pageStarts(body string, pages []string) string {
	if len(pages) == 0 {
		return ""
	}
	var b strings.Builder
	at := 0
	for _, p := range pages {
		i := strings.Index(body[at:], p)
		if p == "" || i < 0 {
			b.WriteString("-1 ")
			continue
		}
		b.WriteString(strconv.Itoa(at + i))
		b.WriteByte(' ')
		at += i + len(p)
	}
	return strings.TrimSpace(b.String())
}

// pageOf returns the 1-based page holding byte offset off, or 0.
func pageOf(starts string, off int) int {
	page := 0
	for i, s := range strings.Fields(starts) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			continue
		}
		if n > off {
			break
		}
		page = i + 1
	}
	return page
}
