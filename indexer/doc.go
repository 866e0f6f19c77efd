package indexer

import (
	"strings"

	"ketnoi/corpus"
)

// DocFromRecord flattens a corpus record into a searchable document. Code lists are expanded to their
// ancestors; an anonymised or broker-only need does not index its enterprise, so that searching for a
// company's name cannot reveal its confidential needs.
func DocFromRecord(rec corpus.Record) Doc {
	switch r := rec.(type) {
	case *corpus.Result:
		d := Doc{
			ID: r.ID, Kind: KindResult,
			Title: r.Title, Summary: joinNonEmpty("\n", r.Summary, r.SummaryEN),
			Keywords: strings.Join(r.Keywords, "; "), Applications: r.Applications, Advantages: r.Advantages,
			Body: r.Body, Pages: r.Pages,
			FieldCodes: expand(r.FieldCodes, corpus.FieldAncestors), Sectors: expand(r.Sectors, corpus.SectorAncestors),
			IPStatus: r.IPStatus, TransferForms: r.TransferForms, Organization: r.Organization, Authors: r.Authors,
			Province: r.Province, LegacyProvince: r.LegacyProvince, Locality: r.Locality, Language: r.Language,
			Year: r.Year, TRL: r.TRL, PriceMin: r.PriceVND.Min, PriceMax: r.PriceVND.Max,
		}
		if len(r.Pages) > 0 && r.Body == "" {
			d.Body = strings.Join(r.Pages, "\n\n")
		}
		return d
	case *corpus.Need:
		d := Doc{
			ID: r.ID, Kind: KindNeed,
			Title: r.Title, Body: r.Description,
			FieldCodes: expand(r.FieldCodes, corpus.FieldAncestors), Sectors: expand(r.Sectors, corpus.SectorAncestors),
			TransferForms: r.TransferForms, Province: r.Province, LegacyProvince: r.LegacyProvince, Locality: r.Locality,
			Confidentiality: r.EffectiveConfidentiality(),
			TRL:             r.MinTRL, PriceMin: r.BudgetVND.Min, PriceMax: r.BudgetVND.Max,
		}
		if d.Confidentiality == corpus.ConfPublic {
			d.Organization = r.Enterprise
		}
		return d
	}
	return Doc{}
}

func expand(codes []string, ancestors func(string) []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range codes {
		for _, a := range ancestors(c) {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
