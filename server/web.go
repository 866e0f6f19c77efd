package server

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

//go:embed web/*.html web/static/*
var webFS embed.FS

// staticFS holds the style sheet and scripts, served under /static/.
var staticFS = echo.MustSubFS(webFS, "web/static")

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	// Fragments come from the backend already HTML-escaped, with <mark> as the only markup.
	"fragment":   func(s string) template.HTML { return template.HTML(s) },
	"field":      corpus.Fields.Label,
	"sector":     corpus.SectorLabel,
	"ip":         corpus.IPStatuses.Label,
	"transfer":   corpus.TransferForms.Label,
	"locality":   corpus.Localities.Label,
	"province":   corpus.Provinces.Label,
	"conf":       corpus.Confidentialities.Label,
	"trlLabel":   corpus.TRLLabel,
	"vnd":        corpus.FormatVND,
	"join":       strings.Join,
	"add":        func(a, b int) int { return a + b },
	"pathEscape": pathEscape,
	"when":       func(t time.Time) string { return t.In(corpus.Vietnam).Format("02/01/2006 15:04") },
	"day":        dayText,
	"size":       corpus.EnterpriseSizes.Label,
	"stateLabel": corpus.NeedStateLabel,
}).ParseFS(webFS, "web/*.html"))

// dayText writes a YYYY-MM-DD date as Vietnamese readers expect it (31/03/2026); other text as it is.
func dayText(s string) string {
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return d.Format("02/01/2006")
	}
	return s
}

type facetView struct {
	Name, Title string
	Values      []facetValueView
}

type facetValueView struct {
	Label, URL string
	Count      int
	Active     bool
}

type searchPage struct {
	Q string
	// DidYouMean is the query with misspelt words corrected ("Có phải bạn muốn tìm ..."), and its link.
	DidYouMean    string
	DidYouMeanURL string
	Params        *searchParams
	Result        *indexer.SearchResult
	Hits          []indexer.Hit
	Facets        []facetView
	Snippets      map[string]string
	Prev          string
	Next          string
	PageNo        int
	Pages         int
	Filtered      bool
	Clear         string
	// FeedURL is the Atom feed of new results for this search (a saved search a reader follows).
	FeedURL string
}

var facetTitles = []struct{ name, param, title string }{
	{indexer.FacetField, "field", "Lĩnh vực"},
	{indexer.FacetSector, "sector", "Ngành kinh tế"},
	{indexer.FacetYear, "year", "Năm"},
	{indexer.FacetTRL, "trl", "Mức sẵn sàng (TRL)"},
	{indexer.FacetIPStatus, "ip", "Sở hữu trí tuệ"},
	{indexer.FacetTransferForm, "transfer", "Hình thức chuyển giao"},
	{indexer.FacetOrganization, "org", "Tổ chức"},
	{indexer.FacetLocality, "locality", "Địa bàn"},
}

func (s *Server) webSearch(c echo.Context) error {
	p, err := parseSearchParams(c.QueryParams())
	if err != nil {
		return err
	}
	req, err := s.publicRequest(c.Request().Context(), p)
	if err != nil {
		return s.searchErr(err)
	}
	res, err := indexer.SearchOrRelax(c.Request().Context(), s.idx, req)
	if err != nil {
		return s.searchErr(err)
	}
	view := searchPage{Q: p.Q, Params: p, Result: res, Hits: res.Hits, Snippets: map[string]string{}}
	view.DidYouMean, view.DidYouMeanURL = p.corrected(res.Corrections)
	for _, h := range res.Hits {
		view.Snippets[h.ID] = snippet(h)
	}
	for _, ft := range facetTitles {
		fv := facetView{Name: ft.name, Title: ft.title}
		for _, fc := range res.Facets[ft.name] {
			active, link := facetLink(p, ft.param, fc.Value)
			fv.Values = append(fv.Values, facetValueView{Label: facetLabel(ft.name, fc.Value), Count: fc.Count, URL: link, Active: active})
		}
		if len(fv.Values) > 0 {
			view.Facets = append(view.Facets, fv)
		}
	}
	view.PageNo = p.From/p.Size + 1
	view.Pages = int((res.Total + uint64(p.Size) - 1) / uint64(p.Size))
	if p.From > 0 {
		v := p.values()
		v.Set("page", strconv.Itoa(view.PageNo-1))
		view.Prev = "/?" + v.Encode()
	}
	if uint64(p.From+p.Size) < res.Total && p.From+p.Size <= MaxFrom {
		v := p.values()
		v.Set("page", strconv.Itoa(view.PageNo+1))
		view.Next = "/?" + v.Encode()
	}
	clear := &searchParams{Q: p.Q, Size: p.Size}
	view.Clear = "/?" + clear.values().Encode()
	view.Filtered = view.Clear != "/?"+p.values().Encode()
	view.FeedURL = resultsFeedURL(p)
	return s.render(c, http.StatusOK, "search.html", view)
}

// facetLink toggles one facet value in the current search: year and TRL facets set a one-value range.
func facetLink(p *searchParams, param, value string) (bool, string) {
	q := *p
	q.From = 0
	active := false
	toggle := func(l []string) []string {
		var out []string
		for _, x := range l {
			if x == value {
				active = true
				continue
			}
			out = append(out, x)
		}
		if !active {
			out = append(out, value)
		}
		return out
	}
	switch param {
	case "field":
		q.Fields = toggle(p.Fields)
	case "sector":
		q.Sectors = toggle(p.Sectors)
	case "ip":
		q.IP = toggle(p.IP)
	case "transfer":
		q.Transfer = toggle(p.Transfer)
	case "org":
		q.Orgs = toggle(p.Orgs)
	case "locality":
		q.Locality = toggle(p.Locality)
	case "year", "trl":
		n, _ := strconv.Atoi(value)
		lo, hi := &q.YearMin, &q.YearMax
		if param == "trl" {
			lo, hi = &q.TRLMin, &q.TRLMax
		}
		if *lo == n && *hi == n {
			active = true
			*lo, *hi = 0, 0
		} else {
			*lo, *hi = n, n
		}
	}
	return active, "/?" + q.values().Encode()
}

type recordPage struct {
	Result  *corpus.Result
	Need    *corpus.Need
	Similar []indexer.Hit
	// NeedEnded is the state of a need no longer sought (closed, expired), "" while it is: a visitor who
	// follows an old link must not take it for an open need.
	NeedEnded string
}

// similarOnPage is how many similar results a result page lists.
const similarOnPage = 5

func (s *Server) webResult(c echo.Context) error {
	rec, err := s.lookup(c, corpus.KindResult)
	if err != nil {
		return err
	}
	r := rec.(*corpus.Result)
	page := recordPage{Result: r}
	if s.matcher != nil {
		// The page is worth showing without them: a failed "more like this" is logged, not shown.
		if page.Similar, err = s.matcher.Similar(c.Request().Context(), r, similarOnPage); err != nil {
			s.log.Warn("similar results", "id", r.ID, "error", err.Error())
		}
	}
	return s.render(c, http.StatusOK, "record.html", page)
}

func (s *Server) webNeed(c echo.Context) error {
	rec, err := s.lookup(c, corpus.KindNeed)
	if err != nil {
		return err
	}
	need := rec.(*corpus.Need)
	page := recordPage{Need: need}
	state, err := s.store.NeedState(need.ID, time.Now())
	if err != nil {
		return fmt.Errorf("đọc trạng thái nhu cầu %s: %w", need.ID, err)
	}
	if !corpus.NeedOpen(state) {
		page.NeedEnded = state
	}
	return s.render(c, http.StatusOK, "record.html", page)
}

func (s *Server) render(c echo.Context, status int, name string, data any) error {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	return c.HTML(status, b.String())
}

func (s *Server) renderError(c echo.Context, e *APIError) {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, "error.html", e); err != nil {
		c.String(e.Status, e.Message)
		return
	}
	c.HTML(e.Status, b.String())
}
