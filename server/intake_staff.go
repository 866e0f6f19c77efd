package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
)

// The review queue on the staff pages (/can-bo/nhu-cau), for staff and brokers signed in: the needs
// waiting, oldest first; one need's page with its history, the form to correct it, publish it or reject
// it with a reason; and, for staff, closing or reopening a published need. Plain forms, CSRF-checked by
// staffPage; each action is audited.

const queuePath = "/can-bo/nhu-cau"

// queueRow is a need in the queue's tables.
type queueRow struct {
	S       needStatusJSON
	Title   string
	Company string
}

type queueView struct {
	staffChrome
	Waiting []queueRow
	Recent  []queueRow
}

// recentDecisions is how many decided needs the queue page lists.
const recentDecisions = 50

func (s *Server) webQueue(c echo.Context) error {
	all, err := s.store.NeedQueue()
	if err != nil {
		return err
	}
	now := time.Now()
	view := queueView{staffChrome: s.chrome(c, "Nhu cầu chờ duyệt")}
	var decided []*corpus.NeedStatus
	for _, st := range all {
		if st.State == corpus.NeedSubmitted {
			view.Waiting = append(view.Waiting, rowOfNeed(st, now))
		} else {
			decided = append(decided, st)
		}
	}
	slices.SortStableFunc(decided, func(a, b *corpus.NeedStatus) int { return b.Last().At.Compare(a.Last().At) })
	for i, st := range decided {
		if i == recentDecisions {
			break
		}
		view.Recent = append(view.Recent, rowOfNeed(st, now))
	}
	return s.render(c, http.StatusOK, "staff_queue.html", view)
}

func rowOfNeed(st *corpus.NeedStatus, now time.Time) queueRow {
	r := queueRow{S: statusJSON(st, now, true), Title: "(bản ghi đã bị xóa)"}
	if st.Need != nil {
		r.Title, r.Company = st.Need.Title, st.Need.Enterprise
	}
	return r
}

// queueItemView is one need's review page.
type queueItemView struct {
	staffChrome
	S           needStatusJSON
	Title       string
	Editable    bool // waiting or rejected: the form, publish and (waiting) reject
	CanClose    bool // published or matched, and a staff key
	Reopen      bool // closed, and a staff key
	Staff       bool // the form's staff fields (needfields)
	F           map[string]*formField
	Invalid     bool
	General     []string
	Limits      map[string]int
	Reason      string // a rejection's reason as typed, when it was refused
	ReasonError string
}

func (s *Server) webQueueItem(c echo.Context) error {
	id := recordID(c)
	st, err := s.store.NeedStatus(id)
	if err != nil {
		return intakeErr(id, err)
	}
	f := &needForm{Staff: true}
	if st.Need != nil {
		f.Values = needFormValues(st.Need)
	}
	return s.renderQueueItem(c, http.StatusOK, st, f, "", "")
}

func (s *Server) renderQueueItem(c echo.Context, status int, st *corpus.NeedStatus, f *needForm, reason, reasonErr string) error {
	staff := sessionOf(c).key.Role.Allows(corpus.RoleStaff)
	view := queueItemView{staffChrome: s.chrome(c, "Nhu cầu "+st.ID), S: statusJSON(st, time.Now(), true),
		Title: st.ID, Staff: true, Limits: intakeLimits, Reason: reason, ReasonError: reasonErr,
		Editable: st.Need != nil && (st.State == corpus.NeedSubmitted || st.State == corpus.NeedRejected),
		CanClose: staff && corpus.NeedOpen(st.State), Reopen: staff && st.State == corpus.NeedClosed && st.Need != nil}
	if st.Need != nil {
		view.Title = st.Need.Title
	}
	if view.Editable {
		view.F, view.General = f.fields(), f.General
		view.Invalid = len(f.Errors)+len(f.General) > 0
	}
	return s.render(c, status, "staff_queue_item.html", view)
}

// webQueueSave saves the corrected form and, with action=publish, publishes the need.
func (s *Server) webQueueSave(c echo.Context) error {
	id := recordID(c)
	form, err := c.FormParams()
	if err != nil {
		return apiErr(http.StatusBadRequest, "bad_form", "Không đọc được biểu mẫu.")
	}
	st, err := s.store.NeedStatus(id)
	if err != nil {
		return intakeErr(id, err)
	}
	if st.Need == nil || (st.State != corpus.NeedSubmitted && st.State != corpus.NeedRejected) {
		return s.backTo(c, queuePath+"/"+pathEscape(id), flash{Text: "Nhu cầu đang ở trạng thái «" + corpus.NeedStateLabel(st.State) + "»: không sửa trong hàng đợi được nữa.", Error: true})
	}
	f := &needForm{Staff: true, Values: form}
	need, ok := f.need(time.Now(), st.Need)
	if !ok {
		return s.renderQueueItem(c, http.StatusBadRequest, st, f, "", "")
	}
	if err := s.store.UpdateNeedDraft(id, need); err != nil {
		return intakeErr(id, err)
	}
	if form.Get("action") != "publish" {
		noteAudit(c, "need.edit", id, "")
		return s.backTo(c, queuePath+"/"+pathEscape(id), flash{Text: "Đã lưu các sửa đổi; nhu cầu vẫn chờ duyệt.", Error: false})
	}
	if err := s.publishNeed(c.Request().Context(), id, corpus.KeyActor(sessionOf(c).key)); err != nil {
		return err
	}
	noteAudit(c, "need.publish", id, "")
	return s.backTo(c, queuePath, flash{Text: "Đã đăng nhu cầu «" + need.Title + "»: nó đã có trong tìm kiếm và ghép nối.", Error: false})
}

// webQueueReject rejects a waiting need with the reason typed.
func (s *Server) webQueueReject(c echo.Context) error {
	id := recordID(c)
	reason := strings.TrimSpace(c.FormValue("reason"))
	st, err := s.store.NeedStatus(id)
	if err != nil {
		return intakeErr(id, err)
	}
	msg := ""
	switch {
	case reason == "":
		msg = "Hãy ghi lý do để doanh nghiệp biết vì sao nhu cầu chưa được duyệt."
	case utf8.RuneCountInString(reason) > maxReason:
		msg = "Lý do dài quá 1000 ký tự."
	}
	if msg != "" {
		f := &needForm{Staff: true}
		if st.Need != nil {
			f.Values = needFormValues(st.Need)
		}
		return s.renderQueueItem(c, http.StatusBadRequest, st, f, reason, msg)
	}
	err = s.store.RejectNeed(id, reason, corpus.KeyActor(sessionOf(c).key))
	var se *corpus.NeedStateError
	if errors.As(err, &se) {
		return s.backTo(c, queuePath+"/"+pathEscape(id), flash{Text: se.Error() + ".", Error: true})
	}
	if err != nil {
		return intakeErr(id, err)
	}
	noteAudit(c, "need.reject", id, reason)
	return s.backTo(c, queuePath, flash{Text: "Đã từ chối nhu cầu «" + st.Need.Title + "»; doanh nghiệp sẽ thấy lý do trên trang theo dõi.", Error: false})
}

// webNeedState closes or reopens a published need (staff only: see routes.go).
func (s *Server) webNeedState(c echo.Context) error {
	id := recordID(c)
	state, reason := c.FormValue("state"), strings.TrimSpace(c.FormValue("reason"))
	if state != corpus.NeedClosed && state != corpus.NeedPublished {
		return apiErr(http.StatusBadRequest, "bad_state", "Trạng thái chỉ có thể là đóng (closed) hoặc mở lại (published).")
	}
	if utf8.RuneCountInString(reason) > maxReason {
		reason = string([]rune(reason)[:maxReason])
	}
	err := s.store.SetNeedState(id, state, corpus.KeyActor(sessionOf(c).key), reason)
	var se *corpus.NeedStateError
	if errors.As(err, &se) {
		return s.backTo(c, queuePath+"/"+pathEscape(id), flash{Text: se.Error() + ".", Error: true})
	}
	if err != nil {
		return intakeErr(id, err)
	}
	noteAudit(c, "need.state."+state, id, reason)
	text := "Đã đóng nhu cầu."
	if state == corpus.NeedPublished {
		text = "Đã mở lại nhu cầu."
	}
	return s.backTo(c, queuePath+"/"+pathEscape(id), flash{Text: text, Error: false})
}
