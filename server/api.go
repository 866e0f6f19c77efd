package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
)

func (s *Server) health(c echo.Context) error {
	n, err := s.idx.Count()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, healthResponse{Status: "ok", Documents: n})
}

// ready answers 200 when the server can do its work: the index answers and the upload queue has room.
func (s *Server) ready(c echo.Context) error {
	n, err := s.idx.Count()
	if err != nil {
		return apiErr(http.StatusServiceUnavailable, "index_unavailable", "Chỉ mục chưa sẵn sàng.")
	}
	pending := 0
	if s.up != nil {
		pending = s.up.jobs.Pending()
		if s.up.jobs.Full() {
			c.Response().Header().Set("Retry-After", "30")
			return apiErr(http.StatusServiceUnavailable, "queue_full", "Hàng đợi tải lên đang đầy.")
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "documents": n, "pending_jobs": pending})
}

func (s *Server) apiSearch(c echo.Context) error {
	p, err := parseSearchParams(c.QueryParams())
	if err != nil {
		return err
	}
	req, err := s.publicRequest(c.Request().Context(), p)
	if err != nil {
		return s.searchErr(err)
	}
	out, err := searchAnswer(c.Request().Context(), s.idx, p, req)
	if err != nil {
		return s.searchErr(err)
	}
	return c.JSON(http.StatusOK, out)
}

// searchAnswer is the API's answer to the search req of p: hits, facets, cursor, relaxed phrases,
// corrected query.
func searchAnswer(ctx context.Context, idx indexer.Index, p *searchParams, req *indexer.SearchRequest) (*searchResponse, error) {
	res, err := indexer.SearchOrRelax(ctx, idx, req)
	if err != nil {
		return nil, err
	}
	out := searchJSON(res, p.From, p.Size)
	if q, _ := p.corrected(res.Corrections); q != "" {
		sg := &suggestionJSON{Q: q}
		for _, c := range res.Corrections {
			sg.Corrections = append(sg.Corrections, correctionJSON{Word: c.Word, Suggestion: c.Suggestion})
		}
		out.Suggestion = sg
	}
	return out, nil
}

// SearchAPI answers q as GET /api/v1/search?q=&size= does, for ketnoi search on a data directory no server
// holds: its --json prints what the API would. A query the API refuses is an *APIError.
func SearchAPI(ctx context.Context, idx indexer.Index, q string, size int) (any, error) {
	p := &searchParams{Q: q, Size: size}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// Results only (no kind is asked), so there is no need to leave out.
	return searchAnswer(ctx, idx, p, p.request(publicConfidentiality))
}

// searchErr turns a backend failure into an APIError: a cancelled or timed-out query is the client's
// business (503 with a retry hint), anything else is internal.
func (s *Server) searchErr(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, indexer.ErrBadCursor) {
		return apiErr(http.StatusBadRequest, "bad_cursor", "Con trỏ phân trang (cursor) không hợp lệ hoặc thuộc một cách sắp xếp khác; hãy tìm lại từ trang đầu.")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apiErr(http.StatusServiceUnavailable, "timeout", "Truy vấn chạy quá lâu và đã bị hủy; hãy thu hẹp câu tìm kiếm.")
	}
	return err
}

func (s *Server) apiMatch(c echo.Context) error {
	size, err := sizeParam(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "Dữ liệu gửi lên quá lớn.")
	}
	need, perr := DecodeNeed(body)
	if perr != nil {
		return perr
	}
	// Brokers' decisions are internal: only a caller with a key sees them.
	_, withKey, err := s.optionalPrincipal(c)
	if err != nil {
		return err
	}
	start := time.Now()
	ms, plan, err := s.matcher.MatchPlan(c.Request().Context(), need, size)
	if err != nil {
		return s.searchErr(err)
	}
	took := float64(time.Since(start).Microseconds()) / 1000
	var latest map[string]corpus.Feedback
	if withKey && s.store != nil {
		if latest, err = s.store.LatestFeedback(need.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, MatchFeedbackJSON(ms, &plan, took, latest))
}

// DecodeNeed reads a need record sent for matching: kind may be left out, and so may id (a need being
// typed in has none yet). Problems that reject it come back as a 400 APIError listing them.
func DecodeNeed(body []byte) (*corpus.Need, error) {
	rec, err := decodeSent(body, corpus.KindNeed, "nhu-cau-tam", "Nhu cầu")
	if err != nil {
		return nil, err
	}
	need, ok := rec.(*corpus.Need)
	if !ok {
		return nil, apiErr(http.StatusBadRequest, "not_a_need", "Bản ghi gửi lên phải là nhu cầu (kind: \"need\").")
	}
	return need, nil
}

// DecodeResult reads a result record sent for reverse matching, like DecodeNeed.
func DecodeResult(body []byte) (*corpus.Result, error) {
	rec, err := decodeSent(body, corpus.KindResult, "ket-qua-tam", "Kết quả nghiên cứu")
	if err != nil {
		return nil, err
	}
	r, ok := rec.(*corpus.Result)
	if !ok {
		return nil, apiErr(http.StatusBadRequest, "not_a_result", "Bản ghi gửi lên phải là kết quả nghiên cứu (kind: \"result\").")
	}
	return r, nil
}

// decodeSent decodes a record sent to be matched, not stored: kind and id default; a need with a
// description only gets it as its title.
func decodeSent(body []byte, kind, tempID, Noun string) (corpus.Record, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, apiErr(http.StatusBadRequest, "bad_json", "Nội dung gửi lên không phải một đối tượng JSON hợp lệ.")
	}
	if _, ok := m["kind"]; !ok {
		m["kind"], _ = json.Marshal(kind)
	}
	if _, ok := m["id"]; !ok {
		m["id"], _ = json.Marshal(tempID)
	}
	if _, ok := m["title"]; !ok && kind == corpus.KindNeed {
		if d, ok := m["description"]; ok {
			m["title"] = d
		}
	}
	b, _ := json.Marshal(m)
	p := corpus.DecodeRecord(b)
	for i := range p.Problems {
		if p.Problems[i].ID == tempID { // the caller sent no id: ours means nothing to them
			p.Problems[i].ID = ""
		}
	}
	if p.Record == nil {
		e := apiErr(http.StatusBadRequest, "invalid_"+kind, Noun+" không hợp lệ.")
		e.Details = p.Problems
		if len(p.Problems) > 0 {
			e.Message = Noun + " không hợp lệ: " + p.Problems[0].String()
		}
		return nil, e
	}
	return p.Record, nil
}

func (s *Server) apiResult(c echo.Context) error {
	rec, err := s.lookup(c, corpus.KindResult)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

// apiNeed is the need record with its effective state beside its fields, under "status": the record alone
// reads the same whether the need is sought or was closed or expired, and a client must not offer a need
// nobody seeks any more. An object of its own, added to the record's fields, leaves every field a client
// reads as it was. The reason a need was closed is internal work: only a caller with a key sees it, as on
// the status route.
func (s *Server) apiNeed(c echo.Context) error {
	rec, err := s.lookup(c, corpus.KindNeed)
	if err != nil {
		return err
	}
	_, withKey, err := s.optionalPrincipal(c)
	if err != nil {
		return err
	}
	st, err := s.store.NeedStatus(rec.RecordID())
	if errors.Is(err, corpus.ErrNotFound) { // deleted since the lookup
		return apiErr(http.StatusNotFound, "not_found", "Không tìm thấy nhu cầu "+strconv.Quote(rec.RecordID())+".")
	}
	if err != nil {
		return err // says which need
	}
	full := statusJSON(st, time.Now(), false)
	state := needStateJSON{State: full.State, StateLabel: full.StateLabel, Open: corpus.NeedOpen(full.State),
		UpdatedAt: full.UpdatedAt, Deadline: full.Deadline}
	if withKey {
		state.Reason = full.Reason
	}
	// The server's state replaces an unknown field of the same name kept from an imported record; the
	// record's own fields keep their order.
	need := *rec.(*corpus.Need)
	need.Extra = maps.Clone(need.Extra)
	delete(need.Extra, "status")
	b, err := json.Marshal(&need)
	if err != nil {
		return err
	}
	sb, err := json.Marshal(state)
	if err != nil {
		return err
	}
	b = append(append(append(b[:len(b)-1], `,"status":`...), sb...), '}')
	return c.JSONBlob(http.StatusOK, b)
}

// needStateJSON is a need's effective state now, as GET /api/v1/needs/{id} adds it to the record: the
// fields of the status route that say whether, and since when or why, the need is still sought.
type needStateJSON struct {
	State      string    `json:"state"` // published, matched, closed, expired
	StateLabel string    `json:"state_label"`
	Open       bool      `json:"open"`       // still sought (published or matched, deadline not passed)
	UpdatedAt  time.Time `json:"updated_at"` // the last change of its stored state
	Deadline   string    `json:"deadline,omitempty"`
	Reason     string    `json:"reason,omitempty"` // why it was closed: key holders only
}

// lookup finds a record of a kind by the :id parameter. Needs that the public may not see answer 404,
// exactly like needs that do not exist, so that their existence does not leak. The id of a report
// replaced by a new version of its file answers a permanent redirect to the same address of that version.
func (s *Server) lookup(c echo.Context, kind string) (corpus.Record, error) {
	id := c.Param("id")
	if u, err := url.PathUnescape(id); err == nil {
		id = u
	}
	notFound := apiErr(http.StatusNotFound, "not_found", "Không tìm thấy bản ghi "+strconv.Quote(id)+".")
	if id == "" || len(id) > corpus.MaxIDBytes {
		return nil, notFound
	}
	e, err := s.store.Get(id)
	if errors.Is(err, corpus.ErrNotFound) && kind == corpus.KindResult {
		if to, rerr := s.store.Replacement(id); rerr != nil {
			return nil, rerr
		} else if to != "" {
			return nil, replacedBy(c, to)
		}
	}
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && e.Kind != kind) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	rec, err := e.Decode()
	if err != nil {
		return nil, err
	}
	if n, ok := rec.(*corpus.Need); ok {
		switch n.EffectiveConfidentiality() {
		case corpus.ConfPublic, corpus.ConfAnonymised:
			rec = n.Anonymised()
		default:
			return nil, notFound
		}
	}
	return rec, nil
}

func (s *Server) apiStats(c echo.Context) error {
	ctx := c.Request().Context()
	base, err := s.statsFigures.get(ctx, s.store, func() (*indexer.Stats, error) {
		mkt, err := s.marketReport(ctx)
		if err != nil {
			return nil, err
		}
		return indexer.StoreStats(s.store, mkt)
	})
	if err != nil {
		return err
	}
	st := *base // the kept figures are shared: only this copy's index figures are set
	if err := st.AddIndex(s.idx); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, &st)
}
