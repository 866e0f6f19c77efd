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

// Field names. Every text field F is indexed as F (exact keys, stored: highlights are cut from it), F_f
// (folded keys) and, with bigrams, F_b and F_fb. Folded and bigram variants share F's byte offsets, so any
// variant's term locations index F's stored text.
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

	sufFolded       = "_f"
	sufBigram       = "_b"
	sufFoldedBigram = "_fb"
)

// textFields are the full-text fields with their ranking weight.
var textFields = []struct {
	name  string
	boost float64
}{
	{fTitle, 3}, {fKeywords, 2}, {fSummary, 1.5}, {fApplications, 1.5}, {fAdvantages, 1}, {fBody, 1},
}

// listFields are the stored fields a hit list shows.
var listFields = []string{fTitle, fOrganization, fYear, fTRL, fKind}

func newIndexMapping(bigrams bool) *mapping.IndexMappingImpl {
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
		if bigrams {
			// Bigrams only rank: no phrases, highlights come from the unigram variants.
			fms = append(fms, text(f.name+sufBigram, AnalyzerExactBigram, false, false),
				text(f.name+sufFoldedBigram, AnalyzerFoldedBigram, false, false))
		}
		dm.AddFieldMappingsAt(f.name, fms...)
	}

	kw := func(name string, store bool) *mapping.FieldMapping {
		return &mapping.FieldMapping{Name: name, Type: "text", Analyzer: keyword.Name, Index: true, Store: store,
			DocValues: true}
	}
	for _, name := range []string{fKind} {
		dm.AddFieldMappingsAt(name, kw(name, true))
	}
	for _, name := range []string{fFieldCodes, fSectors, fIPStatus, fTransferForms, fProvince, fLegacyProvince,
		fLocality, fLanguage, fConfidentiality, fYearKey, fTRLKey} {
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

// hasBigrams reports whether an index mapping carries the bigram fields, and whether it is ours at all.
func hasBigrams(m mapping.IndexMapping) (bigrams, ours bool) {
	im, ok := m.(*mapping.IndexMappingImpl)
	if !ok || im.DefaultMapping == nil {
		return false, false
	}
	title := im.DefaultMapping.Properties[fTitle]
	if title == nil {
		return false, false
	}
	for _, fm := range title.Fields {
		if fm.Name == fTitle+sufBigram {
			bigrams = true
		}
	}
	return bigrams, true
}

// docData flattens a Doc into what the mapping walks. Empty values are left out, so that "not stated" is
// missing (sorted last, not counted in facets, outside every range filter) rather than "" or 0.
func docData(d *indexer.Doc) (map[string]interface{}, int) {
	m := make(map[string]interface{}, 24)
	size := 0
	str := func(k, v string) {
		if v != "" {
			m[k] = v
			size += len(v)
		}
	}
	list := func(k string, v []string) {
		var keep []string
		for _, s := range v {
			if s != "" {
				keep = append(keep, s)
				size += len(s)
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
	if d.Year != 0 {
		str(fYearKey, strconv.Itoa(d.Year))
	}
	if d.TRL != 0 {
		str(fTRLKey, strconv.Itoa(d.TRL))
	}
	return m, size + len(d.ID)
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
