package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// Batch matching (GET /api/v1/match/batch, ketnoi match --all): every open need against the results, for a
// supply–demand connection event. RunBatch makes a BatchReport; WriteBatchCSV and WriteBatchHTML render it,
// so that the API and the CLI (local, or rendering what the API sent) produce the same files.

// batchRoute is the batch route under /api/v1 (the request timeout skips it: see New).
const batchRoute = "/match/batch"

// BatchTimeout bounds one batch matching run.
const BatchTimeout = 30 * time.Minute

// BatchOptions choose what a batch covers.
type BatchOptions struct {
	Size     int     // matches per need
	MinScore float64 // matches scoring lower are left out
	// Confidential includes broker_only needs (with their enterprise): for the brokers' own work list,
	// never for a printed report handed out at an event.
	Confidential bool
	Now          time.Time // decides which needs are still sought (corpus.NeedOpen: published or matched, not expired)
	Workers      int       // 0: GOMAXPROCS
}

// BatchReport is one batch run: the API's JSON, and what the CSV and HTML files are rendered from.
type BatchReport struct {
	Generated    time.Time `json:"generated"`
	Size         int       `json:"size"`
	MinScore     float64   `json:"min_score"`
	Confidential bool      `json:"confidential"`
	// OpenNeeds were matched; SkippedNeeds were closed or expired; HiddenNeeds are broker_only needs left
	// out because Confidential was not asked for.
	OpenNeeds    int     `json:"open_needs"`
	SkippedNeeds int     `json:"skipped_needs"`
	HiddenNeeds  int     `json:"hidden_needs"`
	MatchCount   int     `json:"match_count"`
	TookMS       float64 `json:"took_ms"`
	// Weights are the score components' weights, which decide the top components of each match.
	Weights map[string]float64 `json:"weights"`
	Needs   []BatchNeed        `json:"needs"`
}

// BatchNeed is one need of a batch with its ranked matches. Enterprise is empty for an anonymised need;
// State is published or matched (a broker accepted one of its matches already).
type BatchNeed struct {
	ID              string      `json:"id"`
	Title           string      `json:"title"`
	Description     string      `json:"description,omitempty"`
	Enterprise      string      `json:"enterprise,omitempty"`
	Confidentiality string      `json:"confidentiality"`
	State           string      `json:"state"`
	Deadline        string      `json:"deadline,omitempty"`
	MinTRL          int         `json:"min_trl,omitempty"`
	TookMS          float64     `json:"took_ms"`
	Error           string      `json:"error,omitempty"`
	Note            *noteJSON   `json:"note,omitempty"` // why it has no matches: nothing to search by
	Matches         []matchJSON `json:"matches"`
}

// RunBatch matches every open need in the store. progress, if not nil, hears how many needs are done.
func RunBatch(ctx context.Context, st *corpus.Store, m *matcher.Matcher, opt BatchOptions, progress func(done, total int)) (*BatchReport, error) {
	start := time.Now()
	if opt.Now.IsZero() {
		opt.Now = start
	}
	r := &BatchReport{Generated: opt.Now.UTC().Truncate(time.Second), Size: opt.Size, MinScore: opt.MinScore,
		Confidential: opt.Confidential, Weights: map[string]float64{}, Needs: []BatchNeed{}}
	for _, c := range m.Weights().Components() {
		r.Weights[c.Name] = c.Weight
	}
	states, err := st.NeedStates(opt.Now)
	if err != nil {
		return nil, err
	}
	var needs []*corpus.Need
	err = st.Each(func(e *corpus.Entry) error {
		if e.Kind != corpus.KindNeed {
			return nil
		}
		rec, err := e.Decode()
		if err != nil {
			return err
		}
		n := rec.(*corpus.Need)
		switch {
		case !corpus.NeedOpen(states[n.ID]):
			r.SkippedNeeds++
		case n.EffectiveConfidentiality() == corpus.ConfBrokerOnly && !opt.Confidential:
			r.HiddenNeeds++
		default:
			needs = append(needs, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc nhu cầu: %w", err)
	}
	items, err := m.Batch(ctx, needs, opt.Size, opt.MinScore, opt.Workers, progress)
	if err != nil {
		return nil, err
	}
	r.OpenNeeds = len(needs)
	for _, it := range items {
		n := it.Need
		bn := BatchNeed{ID: n.ID, Title: n.Title, Description: n.Description, Enterprise: n.Enterprise,
			Confidentiality: n.EffectiveConfidentiality(), State: states[n.ID], Deadline: n.Deadline, MinTRL: n.MinTRL,
			TookMS: float64(it.Took.Microseconds()) / 1000, Note: noteOf(it.Note)}
		if bn.Confidentiality == corpus.ConfAnonymised {
			bn.Enterprise = ""
		}
		if it.Err != nil {
			bn.Error = it.Err.Error()
		}
		latest, err := st.LatestFeedback(n.ID)
		if err != nil {
			return nil, err
		}
		bn.Matches = matchesJSON(it.Matches, latest)
		r.MatchCount += len(bn.Matches)
		r.Needs = append(r.Needs, bn)
	}
	r.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return r, nil
}

// apiMatchBatch runs batch matching: ?format=json|csv|html, size= (matches per need), min_score=,
// confidential=1 to include broker_only needs. One run at a time: another caller meanwhile hears 503.
func (s *Server) apiMatchBatch(c echo.Context) error {
	if s.store == nil || s.matcher == nil {
		return apiErr(http.StatusServiceUnavailable, "no_matcher", "Máy chủ này không có kho dữ liệu hay bộ ghép nối.")
	}
	format, err := formatParam(c, "json", "csv", "html")
	if err != nil {
		return err
	}
	opt := BatchOptions{}
	if opt.Size, err = sizeParam(c); err != nil {
		return err
	}
	if v := strings.TrimSpace(c.QueryParam("min_score")); v != "" {
		f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
		if err != nil || !(f >= 0 && f <= 1) { // NaN too: it would leave out every match, then fail to encode
			return apiErr(http.StatusBadRequest, "bad_min_score", "min_score phải là số từ 0 đến 1 (ví dụ 0.5).")
		}
		opt.MinScore = f
	}
	if opt.Confidential, err = boolParam(c, "confidential"); err != nil {
		return err
	}
	select {
	case s.batch <- struct{}{}:
		defer func() { <-s.batch }()
	default:
		c.Response().Header().Set("Retry-After", "60")
		return apiErr(http.StatusServiceUnavailable, "batch_busy", "Máy chủ đang chạy một lượt ghép nối hàng loạt khác; vui lòng thử lại sau.")
	}
	// The server's write timeout bounds a whole response, far shorter than a large batch: this one has its
	// own deadline.
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(BatchTimeout + time.Minute))
	ctx, cancel := context.WithTimeout(c.Request().Context(), BatchTimeout)
	defer cancel()
	r, err := RunBatch(ctx, s.store, s.matcher, opt, nil)
	if errors.Is(err, context.DeadlineExceeded) {
		return apiErr(http.StatusServiceUnavailable, "batch_timeout",
			fmt.Sprintf("Ghép nối hàng loạt chạy quá %d phút và đã dừng; hãy giảm size hoặc chạy bằng lệnh ketnoi match --all.", int(BatchTimeout.Minutes())))
	}
	if err != nil {
		return s.searchErr(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	switch format {
	case "csv":
		return sendCSV(c, "ghep-noi", func(w io.Writer) error { return WriteBatchCSV(w, r) })
	case "html":
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		return WriteBatchHTML(c.Response(), r)
	}
	return c.JSON(http.StatusOK, r)
}
