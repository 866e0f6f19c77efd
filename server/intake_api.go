package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// The needs intake in the API. Brokers and staff enter needs for their clients (POST /api/v1/needs) with
// the same checks as the public form; such a need waits in the review queue like any other, unless the
// call says "publish": true — a broker or staff member vouches for a need they typed in themselves, so
// it is published at once, in the same transaction. The queue (GET /api/v1/intake) is worked by staff and
// brokers alike: correct (PATCH), publish, or reject with a reason. Closing a published need, or
// reopening it, is staff's (POST /api/v1/needs/{id}/state); "matched" is set by broker feedback through
// corpus.Store.SetNeedState.

// maxReason bounds a rejection's or a state change's reason.
const maxReason = 1000

// submitResponse is POST /api/v1/needs.
type submitResponse struct {
	ID         string          `json:"id"`
	State      string          `json:"state"`
	StateLabel string          `json:"state_label"`
	FollowURL  string          `json:"follow_url"` // the enterprise's private page: give it to them
	StatusURL  string          `json:"status_url"` // the same state as JSON, by the same token
	Warnings   corpus.Problems `json:"warnings,omitempty"`
	Status     needStatusJSON  `json:"status"`
}

func (s *Server) apiIntakeSubmit(c echo.Context) error {
	k, _ := principal(c)
	m, err := readJSONObject(c)
	if err != nil {
		return err
	}
	publish := false
	if raw, ok := m["publish"]; ok {
		if json.Unmarshal(raw, &publish) != nil {
			return apiErr(http.StatusBadRequest, "bad_publish", "publish phải là true hoặc false.")
		}
		delete(m, "publish")
	}
	if _, ok := m["id"]; ok {
		return apiErr(http.StatusBadRequest, "id_not_allowed", "Mã nhu cầu do máy chủ cấp; hãy bỏ trường id.")
	}
	need, warnings, err := checkNeedJSON(m, time.Now())
	if err != nil {
		return err
	}
	if need.Broker == "" && k.Role == corpus.RoleBroker {
		// A broker entering a need for a client follows it: its alerts go to the broker's feed.
		need.Broker, _ = corpus.BrokerName(k.Name)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	st, token, err := s.store.SubmitNeed(need, "api", corpus.KeyActor(k), publish)
	if err != nil {
		return err
	}
	action := "need.submit"
	if publish {
		action = "need.submit_publish"
		if err := s.syncIndex(c.Request().Context()); err != nil {
			return err
		}
	}
	noteAudit(c, action, st.ID, "")
	base := baseURL(c)
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/needs/"+pathEscape(st.ID)+"/status")
	return c.JSON(http.StatusCreated, submitResponse{ID: st.ID, State: st.State, StateLabel: corpus.NeedStateLabel(st.State),
		FollowURL: base + followPrefix + token, StatusURL: base + followAPI + token, Warnings: warnings,
		Status: statusJSON(st, time.Now(), true)})
}

// readJSONObject reads the request's body as one JSON object.
func readJSONObject(c echo.Context) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "Dữ liệu gửi lên quá lớn.")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, apiErr(http.StatusBadRequest, "bad_json", "Nội dung gửi lên phải là một đối tượng JSON {...}.")
	}
	return m, nil
}

// checkNeedJSON reads a need's fields from a JSON object and checks them as the public form's are
// (corpus.CheckSubmission). Unknown fields are kept, and come back as warnings.
func checkNeedJSON(m map[string]json.RawMessage, now time.Time) (*corpus.Need, corpus.Problems, error) {
	if k, ok := m["kind"]; ok && string(k) != `"need"` {
		return nil, nil, apiErr(http.StatusBadRequest, "not_a_need", `kind phải là "need" hoặc để trống.`)
	}
	m["kind"], m["id"] = json.RawMessage(`"need"`), json.RawMessage(`"nhu-cau-moi"`)
	b, _ := json.Marshal(m)
	p := corpus.DecodeRecord(b)
	var warnings, rejected corpus.Problems
	for _, pr := range p.Problems {
		if pr.Code == corpus.ProblemUnknownField || p.Record == nil {
			pr.ID = ""
			warnings = append(warnings, pr)
		}
	}
	if p.Record == nil {
		return nil, nil, invalidNeed(warnings)
	}
	need := p.Record.(*corpus.Need)
	need.ID = ""
	for _, pr := range corpus.CheckSubmission(need, now) {
		if pr.Severity == corpus.Rejected {
			rejected = append(rejected, pr)
		} else {
			warnings = append(warnings, pr)
		}
	}
	if len(rejected) > 0 {
		return nil, nil, invalidNeed(rejected)
	}
	return need, warnings, nil
}

func invalidNeed(probs corpus.Problems) *APIError {
	e := apiErr(http.StatusBadRequest, "invalid_need", "Nhu cầu chưa hợp lệ.")
	e.Details = probs
	if len(probs) > 0 {
		e.Message = "Nhu cầu chưa hợp lệ: " + probs[0].String()
	}
	return e
}

// intakeErr turns the store's refusals into API errors.
func intakeErr(id string, err error) error {
	var se *corpus.NeedStateError
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", "Không có nhu cầu "+strconv.Quote(id)+".")
	case errors.As(err, &se):
		msg := se.Error()
		return apiErr(http.StatusConflict, "bad_state", strings.ToUpper(msg[:1])+msg[1:]+".")
	case errors.Is(err, corpus.ErrExists):
		return apiErr(http.StatusConflict, "exists", "Đã có một bản ghi mang mã "+strconv.Quote(id)+"; không đăng được nhu cầu này.")
	}
	return err
}

// intakeStatus is the status of a need that came through the intake: others are not in the queue.
func (s *Server) intakeStatus(id string) (*corpus.NeedStatus, error) {
	st, err := s.store.NeedStatus(id)
	if err == nil && st.Source == "import" {
		err = corpus.ErrNotFound
	}
	if err != nil {
		return nil, intakeErr(id, err)
	}
	return st, nil
}

// queueStates are the values of GET /api/v1/intake?state=.
var queueStates = []string{corpus.NeedSubmitted, corpus.NeedRejected, corpus.NeedPublished, corpus.NeedMatched, corpus.NeedClosed}

func (s *Server) apiIntakeList(c echo.Context) error {
	states := []string{corpus.NeedSubmitted}
	switch q := c.QueryParam("state"); q {
	case "":
	case "all":
		states = nil
	default:
		states = strings.Split(q, ",")
		for _, st := range states {
			if !slices.Contains(queueStates, st) {
				return apiErr(http.StatusBadRequest, "bad_state", "state chỉ nhận "+strings.Join(queueStates, ", ")+" hoặc all.")
			}
		}
	}
	list, err := s.store.NeedQueue(states...)
	if err != nil {
		return err
	}
	now := time.Now()
	out := struct {
		Total int              `json:"total"`
		Needs []needStatusJSON `json:"needs"`
	}{Total: len(list), Needs: []needStatusJSON{}}
	for _, st := range list {
		out.Needs = append(out.Needs, statusJSON(st, now, true))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiIntakeItem(c echo.Context) error {
	st, err := s.intakeStatus(recordID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, statusJSON(st, time.Now(), true))
}

// apiIntakeEdit corrects a waiting need: a JSON object of fields, null removing one, checked as a
// submission is.
func (s *Server) apiIntakeEdit(c echo.Context) error {
	id := recordID(c)
	patch, err := readJSONObject(c)
	if err != nil {
		return err
	}
	for k := range patch {
		if k == "id" || k == "kind" {
			return apiErr(http.StatusBadRequest, "not_editable", "Không sửa được trường "+strconv.Quote(k)+".")
		}
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	st, err := s.intakeStatus(id)
	if err != nil {
		return err
	}
	if st.Need == nil || (st.State != corpus.NeedSubmitted && st.State != corpus.NeedRejected) {
		return intakeErr(id, &corpus.NeedStateError{ID: id, State: st.State, Action: "sửa trong hàng đợi"})
	}
	var cur map[string]json.RawMessage
	b, _ := json.Marshal(st.Need)
	if err := json.Unmarshal(b, &cur); err != nil {
		return err
	}
	for k, v := range patch {
		if string(v) == "null" {
			delete(cur, k)
		} else {
			cur[k] = v
		}
	}
	need, _, err := checkNeedJSON(cur, time.Now())
	if err != nil {
		return err
	}
	if err := s.store.UpdateNeedDraft(id, need); err != nil {
		return intakeErr(id, err)
	}
	noteAudit(c, "need.edit", id, "")
	return s.answerStatus(c, id)
}

func (s *Server) apiIntakePublish(c echo.Context) error {
	id := recordID(c)
	k, _ := principal(c)
	if err := s.publishNeed(c.Request().Context(), id, corpus.KeyActor(k)); err != nil {
		return err
	}
	noteAudit(c, "need.publish", id, "")
	return s.answerStatus(c, id)
}

// publishNeed publishes a waiting need and brings the index up to it, so that search finds it when the
// answer comes (a crash in between is caught up by the next sync, as for every write).
func (s *Server) publishNeed(ctx context.Context, id string, by corpus.Actor) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.store.PublishNeed(id, by); err != nil {
		return intakeErr(id, err)
	}
	return s.syncIndex(ctx)
}

// reasonBody is the body of a rejection or a state change.
type reasonBody struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// readReason reads the body of a rejection or a state change, and who sends it.
func readReason(c echo.Context) (reasonBody, corpus.Actor, error) {
	var b reasonBody
	k, _ := principal(c)
	if err := json.NewDecoder(c.Request().Body).Decode(&b); err != nil {
		return b, corpus.Actor{}, apiErr(http.StatusBadRequest, "bad_json", `Nội dung gửi lên phải là một đối tượng JSON, ví dụ {"reason": "…"}.`)
	}
	b.Reason = strings.TrimSpace(b.Reason)
	if utf8.RuneCountInString(b.Reason) > maxReason {
		return b, corpus.Actor{}, apiErr(http.StatusBadRequest, "reason_too_long", "Lý do dài quá "+strconv.Itoa(maxReason)+" ký tự.")
	}
	return b, corpus.KeyActor(k), nil
}

func (s *Server) apiIntakeReject(c echo.Context) error {
	id := recordID(c)
	b, by, err := readReason(c)
	if err != nil {
		return err
	}
	if b.Reason == "" {
		return apiErr(http.StatusBadRequest, "missing_reason", "Cần ghi lý do từ chối (reason): doanh nghiệp sẽ đọc nó trên trang theo dõi.")
	}
	if err := s.store.RejectNeed(id, b.Reason, by); err != nil {
		return intakeErr(id, err)
	}
	noteAudit(c, "need.reject", id, b.Reason)
	return s.answerStatus(c, id)
}

// apiNeedState closes a published need, marks it matched, or reopens it (staff).
func (s *Server) apiNeedState(c echo.Context) error {
	id := recordID(c)
	b, by, err := readReason(c)
	if err != nil {
		return err
	}
	if b.State != corpus.NeedPublished && b.State != corpus.NeedMatched && b.State != corpus.NeedClosed {
		return apiErr(http.StatusBadRequest, "bad_state", "state chỉ nhận published (mở lại), matched hoặc closed.")
	}
	if err := s.store.SetNeedState(id, b.State, by, b.Reason); err != nil {
		return intakeErr(id, err)
	}
	noteAudit(c, "need.state."+b.State, id, b.Reason)
	return s.answerStatus(c, id)
}

// apiNeedStatus is any need's state and history, for key holders.
func (s *Server) apiNeedStatus(c echo.Context) error { return s.answerStatus(c, recordID(c)) }

func (s *Server) answerStatus(c echo.Context, id string) error {
	st, err := s.store.NeedStatus(id)
	if err != nil {
		return intakeErr(id, err)
	}
	return c.JSON(http.StatusOK, statusJSON(st, time.Now(), true))
}

// apiIntakeFollow is the follow page as JSON, by the enterprise's token, without a key.
func (s *Server) apiIntakeFollow(c echo.Context) error {
	followHeaders(c)
	st, err := s.statusByToken(c.Param("token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, statusJSON(st, time.Now(), false))
}
