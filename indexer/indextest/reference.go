package indextest

import (
	"slices"
	"strconv"

	"ketnoi/indexer"
)

// The reference semantics of the filters and facets, computed directly on the documents: every backend must
// agree with it for empty queries.

// passes reports whether d passes every filter of req except the one facet skip belongs to ("" skips none).
func passes(d *indexer.Doc, req *indexer.SearchRequest, skip string) bool {
	kinds := req.Kinds
	if len(kinds) == 0 {
		kinds = []string{indexer.KindResult}
	}
	if skip != indexer.FacetKind && !slices.Contains(kinds, d.Kind) {
		return false
	}
	if d.Kind == indexer.KindNeed {
		allowed := req.Confidentiality
		if len(allowed) == 0 {
			allowed = []string{"public", "anonymised"}
		}
		conf := d.Confidentiality
		if conf == "" {
			conf = "public"
		}
		if !slices.Contains(allowed, conf) {
			return false
		}
	}
	if slices.Contains(req.ExcludeIDs, d.ID) || (len(req.IDs) > 0 && !slices.Contains(req.IDs, d.ID)) {
		return false
	}
	anyOf := func(facet string, want, have []string) bool {
		if skip == facet || len(want) == 0 {
			return true
		}
		for _, h := range have {
			if h != "" && slices.Contains(want, h) {
				return true
			}
		}
		return false
	}
	one := func(s ...string) []string { return s }
	if !anyOf(indexer.FacetField, req.FieldCodes, d.FieldCodes) ||
		!anyOf(indexer.FacetSector, req.Sectors, d.Sectors) ||
		!anyOf(indexer.FacetIPStatus, req.IPStatus, one(d.IPStatus)) ||
		!anyOf(indexer.FacetTransferForm, req.TransferForms, d.TransferForms) ||
		!anyOf(indexer.FacetOrganization, req.Organizations, one(d.Organization)) ||
		!anyOf(indexer.FacetLocality, req.Localities, one(d.Locality)) ||
		!anyOf(indexer.FacetProvince, req.Provinces, one(d.Province, d.LegacyProvince)) {
		return false
	}
	inRange := func(facet string, v, lo, hi int) bool {
		if skip == facet || (lo == 0 && hi == 0) {
			return true
		}
		return v != 0 && (lo == 0 || v >= lo) && (hi == 0 || v <= hi)
	}
	return inRange(indexer.FacetYear, d.Year, req.YearMin, req.YearMax) &&
		inRange(indexer.FacetTRL, d.TRL, req.TRLMin, req.TRLMax)
}

// facetValues are the values a document counts under in a facet.
func facetValues(d *indexer.Doc, facet string) []string {
	num := func(n int) []string {
		if n == 0 {
			return nil
		}
		return []string{strconv.Itoa(n)}
	}
	switch facet {
	case indexer.FacetKind:
		return []string{d.Kind}
	case indexer.FacetField:
		return d.FieldCodes
	case indexer.FacetSector:
		return d.Sectors
	case indexer.FacetYear:
		return num(d.Year)
	case indexer.FacetOrganization:
		return []string{d.Organization}
	case indexer.FacetTRL:
		return num(d.TRL)
	case indexer.FacetIPStatus:
		return []string{d.IPStatus}
	case indexer.FacetTransferForm:
		return d.TransferForms
	case indexer.FacetLocality:
		return []string{d.Locality}
	case indexer.FacetProvince:
		return []string{d.Province}
	}
	return nil
}

// refFacet counts a facet over docs under every filter of req but its own.
func refFacet(docs []indexer.Doc, req *indexer.SearchRequest, facet string) map[string]int {
	out := map[string]int{}
	for i := range docs {
		if !passes(&docs[i], req, facet) {
			continue
		}
		seen := map[string]bool{}
		for _, v := range facetValues(&docs[i], facet) {
			if v != "" && !seen[v] {
				seen[v] = true
				out[v]++
			}
		}
	}
	return out
}

// refIDs lists the IDs of docs passing every filter of req.
func refIDs(docs []indexer.Doc, req *indexer.SearchRequest) []string {
	var out []string
	for i := range docs {
		if passes(&docs[i], req, "") {
			out = append(out, docs[i].ID)
		}
	}
	slices.Sort(out)
	return out
}
