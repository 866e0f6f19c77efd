package server

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/matcher"
)

// The broker's page (/can-bo/ghep-noi): pick a stored need, or type one, and see the ranked results with
// their explanation laid out (components as meters, highlighted snippets, codes, TRL gap); or go the other
// way, from a result to the needs it could answer. Plain GET forms, so that a page of matches can be
// bookmarked and sent to a colleague; no script is needed.

const brokerPath = "/can-bo/ghep-noi"

// Limits of the typed need, the same as a need sent to the API.
const maxBrokerText = matcher.MaxNeedRunes

type brokerView struct {
	staffChrome
	Filter   string            // the need picker's search box
	Picker   []brokerNeedGroup // the needs to pick from: open ones first, then with ShowEnded the others
	NeedID   string
	ResultID string
	TitleIn  string // a typed need
	TextIn   string
	Reverse  bool
	Need     *corpus.Need
	Result   *corpus.Result
	Matches  []brokerMatch
	Plan     matcher.Plan
	TookMS   float64
	Error    string
	Searched bool
	// Decide: the matches are pairs of stored records, so a decision can be recorded on each.
	Decide  bool
	Reasons []brokerReason
	// ShowEnded lists closed and expired needs in the picker too, under their own labels; NeedEnded is the
	// state of the picked need when it is no longer sought, "" while it is.
	ShowEnded bool
	NeedEnded string
}

type brokerReason struct {
	Value, Label string // Value is "decision:reason"
}

type brokerNeed struct {
	ID, Title string
	Selected  bool
	State     string // effective now
}

type brokerNeedGroup struct {
	Label string
	Ended bool // its needs are no longer sought: each option says so too
	Needs []brokerNeed
}

type brokerMatch struct {
	matcher.Match
	Rank    int
	URL     string
	Snippet template.HTML
	Bars    []brokerBar
	Fields  []string // labels of the codes in common
	Sectors []string
	// NeedID, ResultID: the pair a decision on this match is about; Decision: the latest one, if any.
	NeedID, ResultID string
	Decision         *FeedbackJSON
}

type brokerBar struct {
	Label        string
	Value        float64 // in [0, 1]
	Percent      int
	Weight       float64
	Missing      bool
	Contribution int // share of the total score, in percent
}

func (s *Server) webBroker(c echo.Context) error {
	v := brokerView{staffChrome: s.chrome(c, "Ghép nối cung – cầu")}
	q := c.QueryParams()
	v.Filter = strings.TrimSpace(q.Get("loc"))
	v.NeedID, v.ResultID = strings.TrimSpace(q.Get("nhu-cau")), strings.TrimSpace(q.Get("ket-qua"))
	v.TitleIn, v.TextIn = strings.TrimSpace(q.Get("tieu-de")), strings.TrimSpace(q.Get("mo-ta"))
	v.ShowEnded = q.Get("da-dong") == "1"
	ctx := c.Request().Context()

	groups, err := s.needOptions(c, v.Filter, v.NeedID, v.ShowEnded)
	if err != nil {
		return err
	}
	v.Picker = groups

	start := time.Now()
	var ms []matcher.Match
	switch {
	case v.ResultID != "":
		v.Reverse, v.Searched = true, true
		r, err := s.storedRecord(v.ResultID, corpus.KindResult)
		if err != nil {
			v.Error = err.Error()
			break
		}
		v.Result = r.(*corpus.Result)
		ms, v.Plan, err = s.matcher.Reverse(ctx, v.Result, 20, matcher.ReverseOptions{
			Confidentiality: []string{corpus.ConfPublic, corpus.ConfAnonymised, corpus.ConfBrokerOnly}, Exclude: s.closedNeed})
		if err != nil {
			return s.searchErr(err)
		}
	case v.NeedID != "":
		v.Searched = true
		r, err := s.storedRecord(v.NeedID, corpus.KindNeed)
		if err != nil {
			v.Error = err.Error()
			break
		}
		v.Need = r.(*corpus.Need)
		state, err := s.store.NeedState(v.NeedID, time.Now())
		if err != nil {
			return fmt.Errorf("đọc trạng thái nhu cầu %s: %w", v.NeedID, err)
		}
		if !corpus.NeedOpen(state) {
			v.NeedEnded = state
		}
	case v.TitleIn != "" || v.TextIn != "":
		v.Searched = true
		if utf8.RuneCountInString(v.TitleIn)+utf8.RuneCountInString(v.TextIn) > maxBrokerText {
			v.Error = fmt.Sprintf("Nhu cầu dài quá %d ký tự; hãy rút gọn phần mô tả.", maxBrokerText)
			break
		}
		title := v.TitleIn
		if title == "" {
			title = v.TextIn
		}
		v.Need = &corpus.Need{ID: "nhu-cau-tam", Kind: corpus.KindNeed, Title: title, Description: v.TextIn}
	}
	if v.Need != nil {
		ms, v.Plan, err = s.matcher.MatchPlan(ctx, v.Need, 20)
		if err != nil {
			return s.searchErr(err)
		}
	}
	v.TookMS = float64(time.Since(start).Microseconds()) / 1000
	weights := s.matcher.Weights()
	v.Decide = s.store != nil && (v.Result != nil || v.Need != nil && v.NeedID != "")
	decisions := map[string]map[string]corpus.Feedback{} // by need, read once per need shown
	for i, m := range ms {
		bm := brokerMatchOf(i+1, m, weights)
		if v.Decide {
			bm.NeedID, bm.ResultID = v.NeedID, m.ID
			if v.Reverse {
				bm.NeedID, bm.ResultID = m.ID, v.Result.ID
			}
			latest, ok := decisions[bm.NeedID]
			if !ok {
				if latest, err = s.store.LatestFeedback(bm.NeedID); err != nil {
					return err
				}
				decisions[bm.NeedID] = latest
			}
			if f, ok := latest[bm.ResultID]; ok {
				bm.Decision = feedbackJSON(f)
			}
		}
		v.Matches = append(v.Matches, bm)
	}
	if v.Decide {
		for _, d := range []string{corpus.DecisionAccept, corpus.DecisionReject} {
			for _, code := range corpus.ReasonsFor(d) {
				v.Reasons = append(v.Reasons, brokerReason{Value: d + ":" + code,
					Label: decisionTitle[d] + " — " + corpus.FeedbackReasons.Label(code)})
			}
		}
	}
	securityHeaders(c)
	return s.render(c, http.StatusOK, "broker.html", v)
}

// maxPickerPages bounds the pages of needs the picker reads (MaxSize each).
const maxPickerPages = 50

// needOptions lists the needs to pick from, at most MaxSize open ones: those matching the filter, or the
// first ones. Brokers match needs still sought (corpus.NeedOpen): they come first, and closed and expired
// ones are left out unless showEnded, when up to MaxSize of them follow in groups of their own, labelled
// with their state. The selected need is always listed, in its group. The state lives in the store (expiry
// comes with time), so the index is paged through until enough are found or none is left.
func (s *Server) needOptions(c echo.Context, filter, selected string, showEnded bool) ([]brokerNeedGroup, error) {
	if utf8.RuneCountInString(filter) > MaxQueryChars {
		return nil, apiErr(http.StatusBadRequest, "query_too_long", fmt.Sprintf("Câu tìm kiếm dài quá %d ký tự.", MaxQueryChars))
	}
	req := &indexer.SearchRequest{
		Query: indexer.ParseQuery(filter), Kinds: []string{indexer.KindNeed}, Size: MaxSize,
		Confidentiality: []string{corpus.ConfPublic, corpus.ConfAnonymised, corpus.ConfBrokerOnly},
	}
	now := time.Now()
	groups := []brokerNeedGroup{{Label: "Đang mở"},
		{Label: corpus.NeedStateLabel(corpus.NeedClosed), Ended: true}, {Label: corpus.NeedStateLabel(corpus.NeedExpired), Ended: true}}
	group := func(state string) *brokerNeedGroup {
		switch {
		case corpus.NeedOpen(state):
			return &groups[0]
		case state == corpus.NeedExpired:
			return &groups[2]
		}
		return &groups[1]
	}
	// Up to MaxSize open needs, and as many ended ones when asked: ended needs must not be crowded out by
	// open ones (nor the other way round). The scan is bounded for an index of many needs.
	found := false
	listed, ended := 0, 0
	for page := 0; page < maxPickerPages && (listed < MaxSize || showEnded && ended < MaxSize); page++ {
		res, err := s.idx.Search(c.Request().Context(), req)
		if err != nil {
			return nil, s.searchErr(err)
		}
		ids := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ID
		}
		states, err := s.store.NeedStatesOf(ids, now)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			state, ok := states[h.ID]
			if !ok { // deleted from the store, not yet from the index
				continue
			}
			open := corpus.NeedOpen(state)
			room := open && listed < MaxSize || !open && showEnded && ended < MaxSize
			if room || h.ID == selected {
				g := group(state)
				g.Needs = append(g.Needs, brokerNeed{ID: h.ID, Title: h.Title, Selected: h.ID == selected, State: state})
				found = found || h.ID == selected
			}
			if open {
				listed++
			} else {
				ended++
			}
		}
		if res.Next == "" || len(res.Hits) == 0 {
			break
		}
		req.After = res.Next
	}
	if selected != "" && !found {
		if r, err := s.storedRecord(selected, corpus.KindNeed); err == nil {
			if state, err := s.store.NeedState(selected, now); err == nil {
				g := group(state)
				g.Needs = append([]brokerNeed{{ID: selected, Title: r.RecordTitle(), Selected: true, State: state}}, g.Needs...)
			}
		}
	}
	// At most MaxSize open ones and MaxSize ended ones (and the selected one), the open ones first.
	open, ended := MaxSize, MaxSize
	var out []brokerNeedGroup
	for _, g := range groups {
		room := &open
		if g.Ended {
			room = &ended
		}
		if len(g.Needs) > *room {
			g.Needs = keepSelected(g.Needs, *room)
		}
		*room -= len(g.Needs)
		if len(g.Needs) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// keepSelected cuts needs to n, and keeps the selected need if the cut left it out: the picker must show it.
func keepSelected(needs []brokerNeed, n int) []brokerNeed {
	n = max(n, 0)
	out := needs[:n:n]
	for _, nd := range needs[n:] {
		if nd.Selected {
			return append(out, nd)
		}
	}
	return out
}

// storedRecord reads a record of a kind for a signed-in broker or staff member (every confidentiality).
func (s *Server) storedRecord(id, kind string) (corpus.Record, error) {
	noun := map[string]string{corpus.KindNeed: "nhu cầu", corpus.KindResult: "kết quả"}[kind]
	missing := fmt.Errorf("Không tìm thấy %s có mã %q.", noun, id)
	if len(id) > corpus.MaxIDBytes {
		return nil, missing
	}
	rec, err := s.store.Record(id)
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && rec.RecordKind() != kind) {
		return nil, missing
	}
	return rec, err
}

func brokerMatchOf(rank int, m matcher.Match, w matcher.Weights) brokerMatch {
	bm := brokerMatch{Match: m, Rank: rank, URL: recordURL(m.Kind, m.ID)}
	bm.Snippet = template.HTML(snippet(indexer.Hit{Fragments: m.Fragments})) // backend-escaped, <mark> only
	bm.Page = snippetPage(m.Fragments, m.Page)                               // shown beside the snippet
	total := 0.0
	for _, c := range w.Components() {
		total += c.Weight * m.Components[c.Name]
	}
	for _, c := range w.Components() {
		if c.Weight == 0 {
			continue
		}
		v := m.Components[c.Name]
		b := brokerBar{Label: matcher.ComponentLabel(c.Name), Value: v, Percent: int(v*100 + 0.5), Weight: c.Weight}
		for _, x := range m.Missing {
			b.Missing = b.Missing || x == c.Name
		}
		bm.Bars = append(bm.Bars, b)
	}
	if total > 0 {
		shares := make([]float64, len(bm.Bars))
		for i, b := range bm.Bars {
			shares[i] = b.Weight * b.Value / total * 100
		}
		for i, p := range wholePercents(shares) {
			bm.Bars[i].Contribution = p
		}
	}
	for _, f := range m.MatchedFields {
		bm.Fields = append(bm.Fields, corpus.Fields.Label(f))
	}
	for _, f := range m.MatchedSectors {
		bm.Sectors = append(bm.Sectors, corpus.SectorLabel(f))
	}
	return bm
}

// wholePercents rounds shares that sum to 100 into whole percents that still sum to 100 (largest
// remainders): rounded one by one, a match's contributions added up to anything from 98% to 101%.
func wholePercents(shares []float64) []int {
	out := make([]int, len(shares))
	order := make([]int, len(shares))
	left := 100
	for i, s := range shares {
		out[i] = int(math.Floor(s))
		left -= out[i]
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return shares[order[a]]-math.Floor(shares[order[a]]) > shares[order[b]]-math.Floor(shares[order[b]])
	})
	for _, i := range order {
		if left <= 0 {
			break
		}
		out[i]++
		left--
	}
	return out
}

// decisionTitle starts an option of the decision list.
var decisionTitle = map[string]string{corpus.DecisionAccept: "Chấp nhận", corpus.DecisionReject: "Từ chối"}

// webBrokerDecide records a decision from the broker page's form and goes back to the match.
func (s *Server) webBrokerDecide(c echo.Context) error {
	k, _ := principal(c)
	decision, reason, _ := strings.Cut(c.FormValue("quyet-dinh"), ":")
	req := feedbackRequest{NeedID: c.FormValue("need_id"), ResultID: c.FormValue("result_id"), Decision: decision,
		Reason: reason, Note: c.FormValue("ghi-chu")}
	// Back to the same page, at the match decided on.
	back, anchor := url.Values{"nhu-cau": {req.NeedID}}, req.ResultID
	if c.FormValue("chieu") == "nguoc" {
		back, anchor = url.Values{"ket-qua": {req.ResultID}}, req.NeedID
	}
	target := brokerPath + "?" + back.Encode() + "#m-" + url.PathEscape(anchor)
	out, err := s.recordFeedback(c, k, req)
	msg := flash{}
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		msg = flash{Text: "Chưa lưu quyết định: " + ae.Message, Error: true}
	case err != nil:
		return err
	default:
		msg.Text = fmt.Sprintf("Đã lưu quyết định %s cho %s → %s (%s).", out.Feedback.DecisionLabel, req.NeedID, req.ResultID, out.Feedback.ReasonLabel)
		if out.NeedState == corpus.NeedMatched {
			msg.Text += " Nhu cầu chuyển sang trạng thái đã ghép nối."
		}
	}
	if v := sessionOf(c); v != nil {
		s.staff.setFlash(v.hash, msg)
	}
	return c.Redirect(http.StatusSeeOther, target)
}
