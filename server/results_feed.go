package server

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"ketnoi/alerts"
	"ketnoi/corpus"
)

// The public feeds of new results: /feeds/results.atom, narrowed with the search page's own parameters
// (q, field, sector, year_min…) into a feed per field of science or per saved search. Newest first by
// the store's change time; results only, never a need.

const resultsFeedPath = feedsPrefix + "results" + feedSuffix

// feedScan bounds how many matching results a narrowed feed looks through for the newest: a search
// page's cursor walk, so a query matching more than this shows the newest among its best matches.
const feedScan = 2000

func (s *Server) resultsFeed(c echo.Context) error {
	v := c.QueryParams()
	p, err := parseSearchParams(v)
	if err != nil {
		return err
	}
	for _, k := range []string{"cursor", "from", "page", "sort", "kind"} {
		if v.Has(k) {
			return apiErr(http.StatusBadRequest, "bad_feed_param", fmt.Sprintf("Nguồn tin không nhận tham số %s (nguồn tin luôn chỉ có kết quả nghiên cứu, mới nhất trước).", k))
		}
	}
	n := s.cfg.FeedEntries
	if v.Has("size") {
		n = p.Size
	}
	entries, err := s.newestResults(c, p, n)
	if err != nil {
		return err
	}
	base := s.siteBase(c)
	canon := p.values()
	canon.Del("size")
	f := &alerts.Feed{ID: "urn:ketnoi:feeds:results", Self: base + strings.TrimPrefix(resultsFeedPath, "/"),
		Alternate: base, Title: "ketnoi – kết quả nghiên cứu mới",
		Subtitle: "Kết quả nghiên cứu vừa thêm hoặc cập nhật trên sàn kết nối cung – cầu công nghệ, mới nhất trước."}
	if len(canon) > 0 {
		q := canon.Encode()
		f.ID += "?" + q
		f.Self += "?" + q
		f.Alternate += "?" + q
		f.Title += ": " + feedScope(p)
	}
	for _, e := range entries {
		rec, err := e.Decode()
		if err != nil {
			return err
		}
		f.Items = append(f.Items, resultItem(rec.(*corpus.Result), e, base))
	}
	body, err := f.Render()
	if err != nil {
		return err
	}
	return sendAtom(c, body, "public, no-cache")
}

// resultsFeedURL is the feed of the search p: its query and filters, without paging or order.
func resultsFeedURL(p *searchParams) string {
	v := p.values()
	for _, k := range []string{"size", "sort", "kind", "page"} {
		v.Del(k)
	}
	if len(v) == 0 {
		return resultsFeedPath
	}
	return resultsFeedPath + "?" + v.Encode()
}

// feedScope names what a narrowed feed follows, for its title.
func feedScope(p *searchParams) string {
	var parts []string
	if p.Q != "" {
		parts = append(parts, "“"+p.Q+"”")
	}
	for _, f := range p.Fields {
		parts = append(parts, corpus.Fields.Label(f))
	}
	for _, sct := range p.Sectors {
		parts = append(parts, corpus.SectorLabel(sct))
	}
	if len(parts) == 0 {
		return "theo bộ lọc"
	}
	return strings.Join(parts, ", ")
}

// newestResults is the n newest results the parameters select, newest change first. Only those n are
// kept as the results are read: a feed is public and polled, and a corpus with its full text is large.
func (s *Server) newestResults(c echo.Context, p *searchParams, n int) ([]*corpus.Entry, error) {
	var out []*corpus.Entry
	narrowed := p.values()
	narrowed.Del("size")
	if len(narrowed) == 0 {
		err := s.store.Latest(corpus.KindResult, n, func(e *corpus.Entry) error {
			out = keepNewest(out, e, n)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	req := p.request(publicConfidentiality)
	req.Kinds, req.Facets, req.Highlight, req.ScoresOnly = []string{corpus.KindResult}, nil, false, true
	req.Size, req.From, req.After = MaxSize, 0, ""
	for seen := 0; seen < feedScan; {
		res, err := s.idx.Search(c.Request().Context(), req)
		if err != nil {
			return nil, s.searchErr(err)
		}
		for _, h := range res.Hits {
			e, err := s.store.Get(h.ID)
			if err != nil && !errors.Is(err, corpus.ErrNotFound) {
				return nil, err
			}
			if e != nil && !e.Deleted && e.Kind == corpus.KindResult {
				out = keepNewest(out, e, n)
			}
		}
		seen += len(res.Hits)
		if res.Next == "" || len(res.Hits) == 0 {
			break
		}
		req.After = res.Next
	}
	return out, nil
}

// keepNewest adds e to newest, the n newest entries so far in order (latest change first), and drops what
// falls off its end.
func keepNewest(newest []*corpus.Entry, e *corpus.Entry, n int) []*corpus.Entry {
	i, _ := slices.BinarySearchFunc(newest, e, func(a, b *corpus.Entry) int {
		return cmp.Or(b.Modified.Compare(a.Modified), cmp.Compare(b.Seq, a.Seq))
	})
	if i >= n {
		return newest
	}
	newest = slices.Insert(newest, i, e)
	if len(newest) > n {
		newest[n] = nil
		newest = newest[:n]
	}
	return newest
}

// resultItem is a result as a feed entry: what a reader needs to decide to open it, each value escaped.
func resultItem(r *corpus.Result, e *corpus.Entry, base string) alerts.Entry {
	link := base + "ket-qua/" + url.PathEscape(r.ID)
	it := alerts.Entry{ID: "urn:ketnoi:ket-qua:" + url.PathEscape(r.ID), Title: r.Title, Link: link,
		Updated: e.Modified, Published: e.Created}
	var meta []string
	if r.Organization != "" {
		meta = append(meta, r.Organization)
	}
	if r.Year > 0 {
		meta = append(meta, fmt.Sprint(r.Year))
	}
	if r.TRL > 0 {
		meta = append(meta, corpus.TRLText(r.TRL))
	}
	for _, f := range r.FieldCodes {
		it.Categories = append(it.Categories, alerts.Category{Term: f, Label: corpus.Fields.Label(f)})
	}
	summary := r.Summary
	if rs := []rune(summary); len(rs) > 600 {
		summary = string(rs[:600]) + "…"
	}
	it.Summary = strings.Join(append(meta, summary), ". ")
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<p><a href="%s">%s</a></p>`, esc(link), esc(r.Title))
	if len(meta) > 0 {
		fmt.Fprintf(&b, "<p>%s</p>", esc(strings.Join(meta, " · ")))
	}
	if summary != "" {
		fmt.Fprintf(&b, "<p>%s</p>", esc(summary))
	}
	it.HTML = b.String()
	return it
}
