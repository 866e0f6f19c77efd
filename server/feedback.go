package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// Broker feedback on matches (POST/GET /api/v1/match/feedback): decisions are stored by corpus.Store
// (AddFeedback); the server checks them, scores the pair as the matcher sees it now, and exports them.

// FeedbackJSON is a decision as the API shows it: in the export, and on each match it concerns.
type FeedbackJSON struct {
	Seq           uint64               `json:"seq"`
	Time          time.Time            `json:"time"`
	NeedID        string               `json:"need_id"`
	NeedTitle     string               `json:"need_title,omitempty"`
	ResultID      string               `json:"result_id"`
	ResultTitle   string               `json:"result_title,omitempty"`
	Decision      string               `json:"decision"`
	DecisionLabel string               `json:"decision_label"`
	Reason        string               `json:"reason,omitempty"`
	ReasonLabel   string               `json:"reason_label,omitempty"`
	Note          string               `json:"note,omitempty"`
	Actor         corpus.FeedbackActor `json:"actor"`
	Score         float64              `json:"score"`
	Components    map[string]float64   `json:"components,omitempty"`
	Rank          int                  `json:"rank,omitempty"`
	Superseded    bool                 `json:"superseded"`
}

func feedbackJSON(f corpus.Feedback) *FeedbackJSON {
	out := &FeedbackJSON{Seq: f.Seq, Time: f.Time, NeedID: f.NeedID, ResultID: f.ResultID, Decision: f.Decision,
		DecisionLabel: corpus.DecisionLabel(f.Decision), Reason: f.Reason, Note: f.Note, Actor: f.Actor, Score: f.Score,
		Components: f.Components, Rank: f.Rank, Superseded: f.Superseded}
	if f.Reason != "" {
		out.ReasonLabel = corpus.FeedbackReasons.Label(f.Reason)
	}
	return out
}

// feedbackRequest is the body of POST /api/v1/match/feedback.
type feedbackRequest struct {
	NeedID   string `json:"need_id"`
	ResultID string `json:"result_id"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

type feedbackResponse struct {
	Feedback   *FeedbackJSON `json:"feedback"`
	Supersedes *FeedbackJSON `json:"supersedes,omitempty"`
	// NeedState is the need's state after the decision: an accepted match makes a published need matched.
	NeedState string `json:"need_state"`
}

// apiFeedbackPost records a broker's decision on a need–result pair, with the match's score and
// components as the matcher computes them now.
func (s *Server) apiFeedbackPost(c echo.Context) error {
	if s.store == nil {
		return apiErr(http.StatusServiceUnavailable, "no_store", "Máy chủ này không có kho dữ liệu để lưu quyết định.")
	}
	k, ok := principal(c)
	if !ok {
		return errors.New("feedback: route registered without requireRole")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "Dữ liệu gửi lên quá lớn.")
	}
	var req feedbackRequest
	if err := decodeStrict(body, &req, "need_id, result_id, decision, reason, note"); err != nil {
		return err
	}
	out, err := s.recordFeedback(c, k, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// recordFeedback checks and stores a decision (the API and the broker page share it), with the pair's
// score and components as the matcher computes them now, and notes it for the audit log.
func (s *Server) recordFeedback(c echo.Context, k corpus.KeyInfo, req feedbackRequest) (*feedbackResponse, error) {
	f := corpus.Feedback{NeedID: req.NeedID, ResultID: req.ResultID, Decision: req.Decision, Reason: req.Reason,
		Note: req.Note, Actor: corpus.FeedbackActor{ID: k.ID, Name: k.Name, Role: string(k.Role)}}
	need, res, err := s.store.CheckFeedback(&f)
	if err != nil {
		return nil, feedbackErr(err)
	}
	if s.matcher != nil {
		// The decision is what matters: a pair that cannot be scored now is stored without its score.
		if mt, rank, err := s.matcher.Pair(c.Request().Context(), need, res); err == nil {
			f.Score, f.Components, f.Rank = mt.Score, mt.Components, rank
		} else {
			s.log.Warn("feedback: pair not scored", slog.String("need", f.NeedID), slog.String("result", f.ResultID),
				slog.String("error", err.Error()))
		}
	}
	saved, prev, err := s.store.AddFeedback(f)
	if err != nil {
		return nil, feedbackErr(err)
	}
	// "match.reject" of "nc-001 → kq-ts-010", reason "price; thay #3": who decided what, the note aside.
	reason := saved.Reason
	if prev != nil {
		reason += fmt.Sprintf("; thay quyết định #%d", prev.Seq)
	}
	noteAudit(c, "match."+saved.Decision, fmt.Sprintf("%s → %s #%d", saved.NeedID, saved.ResultID, saved.Seq), strings.TrimPrefix(reason, "; "))
	out := &feedbackResponse{Feedback: feedbackJSON(saved)}
	if out.NeedState, err = s.store.NeedState(saved.NeedID, time.Now()); err != nil {
		return nil, err
	}
	out.Feedback.NeedTitle, out.Feedback.ResultTitle = need.Title, res.Title
	if prev != nil {
		out.Supersedes = feedbackJSON(*prev)
	}
	return out, nil
}

func feedbackErr(err error) error {
	var fe *corpus.FeedbackError
	if errors.As(err, &fe) {
		e := apiErr(http.StatusBadRequest, fe.Code, fe.Message)
		e.Details = []map[string]string{{"field": fe.Field, "message": fe.Message}}
		return e
	}
	return err
}

// decodeStrict reads a JSON object into v, refusing fields v does not have (fields lists the ones it has,
// for the message): a misspelt field must not be silently dropped.
func decodeStrict(body []byte, v any, fields string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "": // no field: the body itself is not an object
		return apiErr(http.StatusBadRequest, "bad_type", fmt.Sprintf("Trường %s phải là %s.", te.Field, jsonTypeLabel(te.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return apiErr(http.StatusBadRequest, "unknown_field", fmt.Sprintf("Không có trường %s; các trường là: %s.", name, fields))
	}
	return apiErr(http.StatusBadRequest, "bad_json", "Nội dung gửi lên không phải một đối tượng JSON hợp lệ.")
}

func jsonTypeLabel(kind string) string {
	switch kind {
	case "string":
		return "chuỗi"
	case "bool":
		return "true hoặc false"
	case "slice":
		return "danh sách"
	}
	return "số"
}

// FeedbackRows returns the decisions (of one need when needID is not empty; only the current ones when
// current is set) as the export shows them, with today's titles of the need and the result.
func FeedbackRows(st *corpus.Store, needID string, current bool) ([]FeedbackJSON, error) {
	titles := map[string]string{}
	title := func(id string) string {
		t, ok := titles[id]
		if !ok {
			if e, err := st.Get(id); err == nil {
				if rec, err := e.Decode(); err == nil {
					t = rec.RecordTitle()
				}
			}
			titles[id] = t
		}
		return t
	}
	rows := []FeedbackJSON{}
	err := st.EachFeedback(needID, func(f corpus.Feedback) error {
		if current && f.Superseded {
			return nil
		}
		v := feedbackJSON(f)
		v.NeedTitle, v.ResultTitle = title(f.NeedID), title(f.ResultID)
		rows = append(rows, *v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc quyết định ghép nối: %w", err)
	}
	return rows, nil
}

// WriteFeedbackCSV writes decisions as CSV for evaluation: UTF-8 with a byte order mark (so that Excel reads
// Vietnamese right), one row a decision, the JSON field names as headers, one column per score component.
func WriteFeedbackCSV(w io.Writer, rows []FeedbackJSON) error {
	return FeedbackTable(rows).WriteCSV(w)
}

// FeedbackTable lays decisions out as the CSV and XLSX exports show them: one row a decision, the score's
// components in columns of their own.
func FeedbackTable(rows []FeedbackJSON) *corpus.Table {
	comps := matcher.Components()
	head := []string{"seq", "time", "need_id", "need_title", "result_id", "result_title", "decision", "decision_label",
		"reason", "reason_label", "note", "actor_id", "actor_name", "actor_role", "score", "rank", "superseded"}
	for _, c := range comps {
		head = append(head, "component_"+c)
	}
	t := &corpus.Table{Header: head}
	for _, r := range rows {
		rec := []string{fmt.Sprint(r.Seq), r.Time.UTC().Format(time.RFC3339Nano), r.NeedID, r.NeedTitle, r.ResultID, r.ResultTitle,
			r.Decision, r.DecisionLabel, r.Reason, r.ReasonLabel, r.Note, r.Actor.ID, r.Actor.Name, r.Actor.Role, "", "",
			fmt.Sprint(r.Superseded)}
		if r.Components != nil {
			rec[14] = fmt.Sprintf("%.3f", r.Score)
		}
		if r.Rank > 0 {
			rec[15] = fmt.Sprint(r.Rank)
		}
		for _, c := range comps {
			v, ok := r.Components[c]
			if !ok {
				rec = append(rec, "")
				continue
			}
			rec = append(rec, fmt.Sprintf("%.3f", v))
		}
		t.Rows = append(t.Rows, rec)
	}
	return t
}

// apiFeedbackList exports decisions: ?format=json|csv, need_id= for one need, current=1 for the current
// decisions only (without the superseded history).
func (s *Server) apiFeedbackList(c echo.Context) error {
	if s.store == nil {
		return apiErr(http.StatusServiceUnavailable, "no_store", "Máy chủ này không có kho dữ liệu.")
	}
	format, err := formatParam(c, "json", "csv")
	if err != nil {
		return err
	}
	current, err := boolParam(c, "current")
	if err != nil {
		return err
	}
	rows, err := FeedbackRows(s.store, strings.TrimSpace(c.QueryParam("need_id")), current)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		return sendCSV(c, "quyet-dinh-ghep-noi", func(w io.Writer) error { return WriteFeedbackCSV(w, rows) })
	}
	return c.JSON(http.StatusOK, map[string]any{"count": len(rows), "feedback": rows})
}
