package indexer

import (
	"errors"
	"time"
)

// ErrBadCursor is returned for a cursor that this backend did not make for this sort order.
var ErrBadCursor = errors.New("con trỏ phân trang không hợp lệ")

// SearchRequest is one search. The zero value of every filter means "no filter".
type SearchRequest struct {
	// Query is the parsed user query (see ParseQuery). An empty query matches every document that passes the
	// filters.
	Query Query

	// Kinds restricts the document kinds; empty means results only.
	Kinds []string
	// Confidentiality lists the need confidentiality levels the caller may see; needs at other levels are
	// never returned, counted or suggested. Empty means public and anonymised.
	Confidentiality []string

	FieldCodes    []string // any of
	Sectors       []string // any of
	IPStatus      []string // any of
	TransferForms []string // any of
	Organizations []string // any of (exact organisation names)
	Localities    []string // any of
	Provinces     []string // any of
	YearMin       int
	YearMax       int
	TRLMin        int
	TRLMax        int
	// ExcludeIDs drops these documents (the need itself in matching, the result in "more like this").
	ExcludeIDs []string
	// IDs, when not empty, keeps only these documents, scored as the whole query scores them (to rounding):
	// re-matching reads only the results that changed.
	IDs []string

	// Sort is "" (relevance), "year", "-year", "trl", "-trl".
	Sort string
	From int
	Size int
	// After is a cursor (SearchResult.Next of the previous page, same query and sort): the page starts
	// right after that page's last hit, however deep, and From must be 0. Pages stay stable while the
	// index does not change.
	After string

	// Facets asks for facet counts of these facet names (FacetField, FacetSector, ...); each facet follows
	// every filter except its own.
	Facets    []string
	FacetSize int
	// Highlight asks for highlighted fragments.
	Highlight bool
	// ScoresOnly asks for the hits' ids and scores only (no title or other shown fields, no matched terms,
	// no fragments): ranking a candidate pool of which only a few will be shown.
	ScoresOnly bool
}

// Facet names.
const (
	FacetKind         = "kind"
	FacetField        = "field"
	FacetSector       = "sector"
	FacetYear         = "year"
	FacetOrganization = "organization"
	FacetTRL          = "trl"
	FacetIPStatus     = "ip_status"
	FacetTransferForm = "transfer_form"
	FacetLocality     = "locality"
	FacetProvince     = "province"
)

// SearchResult is the answer to a SearchRequest.
type SearchResult struct {
	Total uint64
	Hits  []Hit
	// Next is the cursor for the page after this one; empty after the last page.
	Next string
	// Corrections are spelling suggestions for typed words the index does not know, made only when the
	// corrected query finds something for the same request.
	Corrections []Correction
	// Relaxed lists the quoted phrases that found nothing, when the hits are those of the same query with
	// the phrases as plain words (SearchOrRelax).
	Relaxed []string
	Facets  map[string][]FacetCount
	Took    time.Duration
}

// Correction proposes Suggestion for the typed Word.
type Correction struct {
	Word       string
	Suggestion string
}

// Hit is one matching document with what is needed to show it in a list.
type Hit struct {
	ID           string
	Kind         string
	Score        float64
	Title        string
	Organization string
	Year         int
	TRL          int
	// Fragments maps a field name (title, summary, keywords, applications, advantages, body) to highlighted
	// fragments: HTML-escaped text in which only <mark>…</mark> is markup.
	Fragments map[string][]string
	// Page is the 1-based page of the best body fragment when the body came from pages; 0 otherwise.
	Page int
	// MatchedTerms are the query terms (as typed) found in the document.
	MatchedTerms []string
}

// FacetCount is one facet value with its count.
type FacetCount struct {
	Value string
	Count int
}
