package server

import (
	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/matcher"
)

// Response types of the JSON API, kept apart from the domain types so that the wire format changes only on
// purpose. The shapes fixed by the foundation (search: total, hits[id, score, title]; match: matches[id,
// score, components, reasons]) only ever gain fields.

type searchResponse struct {
	Total  uint64                 `json:"total"`
	Hits   []hitJSON              `json:"hits"`
	Facets map[string][]facetJSON `json:"facets"`
	TookMS float64                `json:"took_ms"`
	From   int                    `json:"from"`
	Size   int                    `json:"size"`
	// NextCursor continues after the last hit (GET ...&cursor=NextCursor), at any depth.
	NextCursor string `json:"next_cursor,omitempty"`
	// Suggestion is the query with misspelt words corrected, when that finds something.
	Suggestion *suggestionJSON `json:"suggestion,omitempty"`
	// RelaxedPhrases are the quoted phrases no document has: the hits are then those of the same query with
	// these phrases as plain words.
	RelaxedPhrases []string `json:"relaxed_phrases,omitempty"`
}

type suggestionJSON struct {
	Q           string           `json:"q"`
	Corrections []correctionJSON `json:"corrections"`
}

type correctionJSON struct {
	Word       string `json:"word"`
	Suggestion string `json:"suggestion"`
}

type hitJSON struct {
	ID           string              `json:"id"`
	Kind         string              `json:"kind"`
	Score        float64             `json:"score"`
	Title        string              `json:"title"`
	Organization string              `json:"organization,omitempty"`
	Year         int                 `json:"year,omitempty"`
	TRL          int                 `json:"trl,omitempty"`
	Snippet      string              `json:"snippet,omitempty"`
	Highlights   map[string][]string `json:"highlights,omitempty"`
	Page         int                 `json:"page,omitempty"`
	URL          string              `json:"url"`
}

type facetJSON struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

type matchResponse struct {
	Matches []matchJSON `json:"matches"`
	// Query is what the candidates were searched with: the need's informative words and what vocabulary
	// bridging added (synonyms, feedback terms from the best first results).
	Query *matchQueryJSON `json:"query,omitempty"`
	// Note says why there are no matches when nothing could be searched for (matcher.Plan.Note).
	Note   *noteJSON `json:"note,omitempty"`
	TookMS float64   `json:"took_ms"`
}

// noteJSON explains an empty answer: code is a fixed English identifier, message Vietnamese.
type noteJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func noteOf(n *matcher.Note) *noteJSON {
	if n == nil {
		return nil
	}
	return &noteJSON{Code: n.Code, Message: n.Message}
}

type matchQueryJSON struct {
	Terms    []string `json:"terms"`
	Synonyms []string `json:"synonyms,omitempty"`
	Feedback []string `json:"feedback,omitempty"`
}

type matchJSON struct {
	ID             string              `json:"id"`
	Kind           string              `json:"kind"`
	Score          float64             `json:"score"`
	Components     map[string]float64  `json:"components"`
	Reasons        []string            `json:"reasons"`
	Title          string              `json:"title"`
	Organization   string              `json:"organization,omitempty"`
	Year           int                 `json:"year,omitempty"`
	TRL            int                 `json:"trl,omitempty"`
	TRLGap         int                 `json:"trl_gap,omitempty"`
	CoDevelopment  bool                `json:"co_development,omitempty"`
	Missing        []string            `json:"missing,omitempty"`
	MatchedTerms   []string            `json:"matched_terms,omitempty"`
	BridgedTerms   []string            `json:"bridged_terms,omitempty"`
	MatchedFields  []codeJSON          `json:"matched_fields,omitempty"`
	MatchedSectors []codeJSON          `json:"matched_sectors,omitempty"`
	Highlights     map[string][]string `json:"highlights,omitempty"`
	Page           int                 `json:"page,omitempty"`
	// Confidentiality of a need (reverse matching); URL is the record's page.
	Confidentiality string `json:"confidentiality,omitempty"`
	URL             string `json:"url"`
	// Feedback is a broker's current decision on this need–result pair, shown to callers with a key.
	Feedback *FeedbackJSON `json:"feedback,omitempty"`
}

type codeJSON struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// recordsImportResponse is the answer of POST /api/v1/records: what the import of one record file did.
// The counts are the whole file's; Problems lists at most maxImportProblems of its rows' problems, by line
// (ProblemsTruncated when there were more).
type recordsImportResponse struct {
	File        string              `json:"file"`
	Read        int                 `json:"read"`
	Added       int                 `json:"added"`
	Updated     int                 `json:"updated"`
	Unchanged   int                 `json:"unchanged"`
	KeptDeleted int                 `json:"kept_deleted"`
	Rejected    int                 `json:"rejected"`
	Warnings    int                 `json:"warnings"`
	Problems    []importProblemJSON `json:"problems"`
	// ProblemsTruncated: the file had more problems than Problems lists.
	ProblemsTruncated bool `json:"problems_truncated"`
}

// importProblemJSON is one problem of a row of an imported record file: its line, the record's id when
// it was read, how bad (warning, or error: the row was left out), a stable English code and a Vietnamese
// message. A row whose record staff deleted, left deleted, is a warning with code kept_deleted.
type importProblemJSON struct {
	Line     int    `json:"line"`
	ID       string `json:"id"`
	Field    string `json:"field,omitempty"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

type healthResponse struct {
	Status    string `json:"status"`
	Documents uint64 `json:"documents"`
}

// SearchJSON converts a search result to the API's JSON shape; the CLI prints the same.
func SearchJSON(res *indexer.SearchResult, from, size int) any { return searchJSON(res, from, size) }

func searchJSON(res *indexer.SearchResult, from, size int) *searchResponse {
	out := &searchResponse{Total: res.Total, Hits: []hitJSON{}, Facets: map[string][]facetJSON{},
		TookMS: float64(res.Took.Microseconds()) / 1000, From: from, Size: size, NextCursor: res.Next,
		RelaxedPhrases: res.Relaxed}
	for _, h := range res.Hits {
		out.Hits = append(out.Hits, hitJSON{
			ID: h.ID, Kind: h.Kind, Score: h.Score, Title: h.Title, Organization: h.Organization, Year: h.Year,
			TRL: h.TRL, Snippet: snippet(h), Highlights: h.Fragments, Page: h.Page, URL: recordURL(h.Kind, h.ID),
		})
	}
	for name, counts := range res.Facets {
		fs := []facetJSON{}
		for _, c := range counts {
			fs = append(fs, facetJSON{Value: c.Value, Label: facetLabel(name, c.Value), Count: c.Count})
		}
		out.Facets[name] = fs
	}
	return out
}

// MatchJSON converts matches to the API's JSON shape; the CLI prints the same.
func MatchJSON(ms []matcher.Match, took float64) any { return MatchPlanJSON(ms, nil, took) }

// MatchPlanJSON is MatchJSON with the query the matcher ran.
func MatchPlanJSON(ms []matcher.Match, plan *matcher.Plan, took float64) any {
	return MatchFeedbackJSON(ms, plan, took, nil)
}

// MatchFeedbackJSON is MatchPlanJSON with the current decision on each pair (latest: by result id, from
// corpus.Store.LatestFeedback).
func MatchFeedbackJSON(ms []matcher.Match, plan *matcher.Plan, took float64, latest map[string]corpus.Feedback) any {
	out := matchResponse{Matches: matchesJSON(ms, latest), TookMS: took}
	if plan != nil {
		out.Query = &matchQueryJSON{Terms: plan.Terms, Synonyms: plan.Synonyms, Feedback: plan.Feedback}
		out.Note = noteOf(plan.Note)
	}
	return out
}

func matchesJSON(ms []matcher.Match, latest map[string]corpus.Feedback) []matchJSON {
	out := []matchJSON{}
	for _, m := range ms {
		mj := matchJSON{
			ID: m.ID, Kind: m.Kind, Confidentiality: m.Confidentiality, URL: recordURL(m.Kind, m.ID), Score: m.Score, Components: m.Components, Reasons: m.Reasons, Title: m.Title,
			Organization: m.Organization, Year: m.Year, TRL: m.TRL, TRLGap: m.TRLGap, CoDevelopment: m.CoDevelopment,
			Missing: m.Missing, MatchedTerms: m.MatchedTerms, BridgedTerms: m.Bridged, MatchedFields: codes(m.MatchedFields, corpus.Fields.Label),
			MatchedSectors: codes(m.MatchedSectors, corpus.SectorLabel), Highlights: m.Fragments, Page: m.Page,
		}
		if f, ok := latest[m.ID]; ok {
			mj.Feedback = feedbackJSON(f)
		}
		out = append(out, mj)
	}
	return out
}

func codes(l []string, label func(string) string) []codeJSON {
	var out []codeJSON
	for _, c := range l {
		out = append(out, codeJSON{Code: c, Label: label(c)})
	}
	return out
}

// snippet is the best highlighted fragment of a hit.
func snippet(h indexer.Hit) string { return bestFragment(h.Fragments) }

// bestFragment picks from highlighted fragments by field: body or summary first, then the others.
func bestFragment(fragments map[string][]string) string {
	for _, f := range []string{"summary", "body", "applications", "advantages", "keywords", "title"} {
		if fr := fragments[f]; len(fr) > 0 {
			return fr[0]
		}
	}
	return ""
}

// snippetPage is the page to name beside the snippet bestFragment picks: the body fragment's page when the
// snippet is that fragment, 0 when it comes from another field (a summary has no page in the report).
func snippetPage(fragments map[string][]string, page int) int {
	if len(fragments["summary"]) > 0 || len(fragments["body"]) == 0 {
		return 0
	}
	return page
}

func facetLabel(name, value string) string {
	switch name {
	case indexer.FacetField:
		return corpus.Fields.Label(value)
	case indexer.FacetSector:
		return corpus.SectorLabel(value)
	case indexer.FacetIPStatus:
		return corpus.IPStatuses.Label(value)
	case indexer.FacetTransferForm:
		return corpus.TransferForms.Label(value)
	case indexer.FacetLocality:
		return corpus.Localities.Label(value)
	case indexer.FacetProvince:
		return corpus.Provinces.Label(value)
	case indexer.FacetTRL:
		return "TRL " + value
	case indexer.FacetKind:
		if value == indexer.KindNeed {
			return "Nhu cầu công nghệ"
		}
		return "Kết quả nghiên cứu"
	}
	return value
}

func recordURL(kind, id string) string {
	if kind == indexer.KindNeed {
		return "/nhu-cau/" + pathEscape(id)
	}
	return "/ket-qua/" + pathEscape(id)
}
