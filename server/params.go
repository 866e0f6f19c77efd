package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus/vntext"
	"ketnoi/indexer"
)

// Limits on what a client may ask.
const (
	MaxSize       = 100
	DefaultSize   = 10
	MaxQueryChars = indexer.MaxQueryRunes
	MaxFrom       = 10000
	MaxFilterVals = 20
	maxCursor     = 2048
)

// searchParams are the search parameters shared by the web page and the API, read from the query string.
type searchParams struct {
	Q        string
	Cursor   string // opaque, from a previous answer's next_cursor
	Size     int
	From     int
	Sort     string
	Kinds    []string
	Fields   []string
	Sectors  []string
	IP       []string
	Transfer []string
	Orgs     []string
	Locality []string
	Province []string
	YearMin  int
	YearMax  int
	TRLMin   int
	TRLMax   int
}

// Validate checks the parameters; the error is an APIError with a Vietnamese message.
func (p *searchParams) Validate() error {
	if utf8.RuneCountInString(p.Q) > MaxQueryChars {
		return apiErr(http.StatusBadRequest, "query_too_long", fmt.Sprintf("Câu tìm kiếm dài quá %d ký tự.", MaxQueryChars))
	}
	if p.Size < 1 || p.Size > MaxSize {
		return apiErr(http.StatusBadRequest, "bad_size", fmt.Sprintf("size phải từ 1 đến %d.", MaxSize))
	}
	if p.From < 0 || p.From > MaxFrom {
		return apiErr(http.StatusBadRequest, "bad_from", fmt.Sprintf("from phải từ 0 đến %d.", MaxFrom))
	}
	if p.Cursor != "" && p.From != 0 {
		return apiErr(http.StatusBadRequest, "bad_cursor", "Không dùng cursor cùng với from: cursor đã chỉ chỗ bắt đầu của trang.")
	}
	if len(p.Cursor) > maxCursor {
		return apiErr(http.StatusBadRequest, "bad_cursor", "Con trỏ phân trang (cursor) không hợp lệ.")
	}
	switch p.Sort {
	case "", "year", "-year", "trl", "-trl":
	default:
		return apiErr(http.StatusBadRequest, "bad_sort", "sort chỉ nhận year, -year, trl, -trl hoặc để trống (độ liên quan).")
	}
	for _, k := range p.Kinds {
		if k != indexer.KindResult && k != indexer.KindNeed {
			return apiErr(http.StatusBadRequest, "bad_kind", "kind chỉ nhận result hoặc need.")
		}
	}
	return nil
}

func parseSearchParams(v url.Values) (*searchParams, error) {
	p := &searchParams{Q: v.Get("q"), Size: DefaultSize, Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	var err error
	num := func(name string, dst *int) {
		s := strings.TrimSpace(v.Get(name))
		if s == "" || err != nil {
			return
		}
		n, e := strconv.Atoi(s)
		if e != nil {
			err = apiErr(http.StatusBadRequest, "bad_"+name, fmt.Sprintf("%s phải là số nguyên.", name))
			return
		}
		*dst = n
	}
	list := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		if len(out) > MaxFilterVals && err == nil {
			err = apiErr(http.StatusBadRequest, "too_many_filters", fmt.Sprintf("Tối đa %d giá trị cho bộ lọc %s.", MaxFilterVals, name))
		}
		return out
	}
	num("size", &p.Size)
	num("from", &p.From)
	num("year_min", &p.YearMin)
	num("year_max", &p.YearMax)
	num("trl_min", &p.TRLMin)
	num("trl_max", &p.TRLMax)
	if page := 0; v.Get("page") != "" {
		num("page", &page)
		if page > 1 && p.Size >= 1 && p.Size <= MaxSize { // a bad size is refused below, as itself
			if page-1 > MaxFrom/p.Size && err == nil {
				// Said of page, which the client sent, not of from, which it did not (and no overflow).
				err = apiErr(http.StatusBadRequest, "bad_page", fmt.Sprintf("page phải từ 1 đến %d (mỗi trang %d kết quả).", MaxFrom/p.Size+1, p.Size))
			}
			p.From = (page - 1) * p.Size
		}
	}
	p.Kinds = list("kind")
	p.Fields = list("field")
	p.Sectors = list("sector")
	p.IP = list("ip")
	p.Transfer = list("transfer")
	p.Orgs = list("org")
	p.Locality = list("locality")
	p.Province = list("province")
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

var allFacets = []string{indexer.FacetField, indexer.FacetSector, indexer.FacetYear, indexer.FacetOrganization,
	indexer.FacetTRL, indexer.FacetIPStatus, indexer.FacetTransferForm, indexer.FacetLocality}

func (p *searchParams) request(confidentiality []string) *indexer.SearchRequest {
	return &indexer.SearchRequest{
		Query: indexer.ParseQuery(p.Q), Kinds: p.Kinds, Confidentiality: confidentiality,
		FieldCodes: p.Fields, Sectors: p.Sectors, IPStatus: p.IP, TransferForms: p.Transfer,
		Organizations: p.Orgs, Localities: p.Locality, Provinces: p.Province,
		YearMin: p.YearMin, YearMax: p.YearMax, TRLMin: p.TRLMin, TRLMax: p.TRLMax,
		Sort: p.Sort, From: p.From, Size: p.Size, After: p.Cursor,
		Facets: allFacets, FacetSize: 12, Highlight: true,
	}
}

// values renders the parameters back to a query string (for links: paging, facets), leaving out defaults.
func (p *searchParams) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	setN := func(k string, n int) {
		if n != 0 {
			v.Set(k, strconv.Itoa(n))
		}
	}
	set("q", p.Q)
	set("sort", p.Sort)
	if p.Size != DefaultSize {
		setN("size", p.Size)
	}
	for k, l := range map[string][]string{"kind": p.Kinds, "field": p.Fields, "sector": p.Sectors, "ip": p.IP,
		"transfer": p.Transfer, "org": p.Orgs, "locality": p.Locality, "province": p.Province} {
		for _, s := range l {
			v.Add(k, s)
		}
	}
	setN("year_min", p.YearMin)
	setN("year_max", p.YearMax)
	setN("trl_min", p.TRLMin)
	setN("trl_max", p.TRLMax)
	return v
}

// corrected is the query with its misspelt words replaced by the index's suggestions, and its page link
// (the same filters, from the first page); "" when there is nothing to suggest.
func (p *searchParams) corrected(cs []indexer.Correction) (q, link string) {
	if len(cs) == 0 {
		return "", ""
	}
	q = indexer.CorrectQuery(p.Q, cs)
	if q == vntext.Normalize(p.Q) {
		return "", ""
	}
	np := *p
	np.Q, np.From, np.Cursor = q, 0, ""
	return q, "/?" + np.values().Encode()
}

// sizeParam reads the size query parameter of the match routes: DefaultSize when absent.
func sizeParam(c echo.Context) (int, error) {
	v := strings.TrimSpace(c.QueryParam("size"))
	if v == "" {
		return DefaultSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxSize {
		return 0, apiErr(http.StatusBadRequest, "bad_size", fmt.Sprintf("size phải từ 1 đến %d.", MaxSize))
	}
	return n, nil
}
